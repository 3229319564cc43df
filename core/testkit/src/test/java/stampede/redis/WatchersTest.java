package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.core.Locks;
import stampede.testkit.LocalLocks;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;

/** Closed watches leave nothing behind (no map entry per key ever waited on), and signals reach open ones. */
class WatchersTest {

  @Test
  void localLocksForgetNamesWhoseWatchersClosed() throws Exception {
    LocalLocks<String> locks = new LocalLocks<>(new ManualTicker());
    check(locks, locks::watchedNames);
  }

  @Test
  void redisLocksForgetNamesWhoseWatchersClosed() throws Exception {
    try (RedisLocks<String> locks = new RedisLocks<>(SharedRedis.client(),
        RedisKeys.strings("watchers-" + ProcessHandle.current().pid() + ":"))) {
      check(locks, locks::watchedNames);
    }
  }

  @Test
  void localLockTokensGrowAcrossNames() {
    LocalLocks<String> locks = new LocalLocks<>(new ManualTicker());
    long a = locks.tryAcquire("a", "me", 1000);
    long b = locks.tryAcquire("b", "me", 1000);
    locks.release("a", "me");
    long a2 = locks.tryAcquire("a", "me", 1000);
    assertTrue(a > 0 && b > a && a2 > b, "tokens " + a + ", " + b + ", " + a2);
  }

  private static void check(Locks<String> locks, java.util.function.IntSupplier watchedNames) throws Exception {
    List<Locks.Watch> open = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      open.add(locks.watch("key" + i));
      open.add(locks.watch("key" + i));
    }
    assertEquals(100, watchedNames.getAsInt());
    locks.signal("key7");
    assertTrue(open.get(14).await(2, TimeUnit.SECONDS), "first watcher of key7 woken");
    assertTrue(open.get(15).await(2, TimeUnit.SECONDS), "second watcher of key7 woken");
    assertFalse(open.get(16).await(20, TimeUnit.MILLISECONDS), "key8 not signalled");
    for (Locks.Watch w : open) {
      w.close();
      w.close(); // closing twice is harmless
    }
    assertEquals(0, watchedNames.getAsInt(), "names left behind by closed watches");
  }
}
