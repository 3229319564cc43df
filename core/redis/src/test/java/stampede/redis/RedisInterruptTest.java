package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.Locks;
import stampede.redis.Paused.Outcome;

/**
 * An interrupt is the caller's cancellation, not a Redis failure: every command of the store and the locks that is
 * interrupted while it waits for Redis throws {@link InterruptedLoadException} with the interrupt status set (never
 * a {@code StoreException}, which a store guard reads as an outage), and leaves nothing behind: no lease, no
 * subscription. Release and signal are clean-ups: they run even on an interrupted thread.
 */
class RedisInterruptTest {
  private final Paused paused = new Paused();
  private final RedisClient client = RedisStore.client(paused.redis.uri(), Duration.ofSeconds(5));
  private final RedisKeys<String> keys = RedisKeys.strings("i:");
  private final RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
  private final RedisLocks<String> locks = new RedisLocks<>(client, keys);

  @AfterEach
  void close() {
    locks.close();
    store.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    paused.close();
  }

  @Test
  void anInterruptedGetPutOrDeleteIsTheCallersInterrupt() throws Exception {
    long now = store.ticker().read();
    Entry<String> entry = new Entry<>("v", now, now + 60_000_000_000L, 0, 0);
    store.put("k", entry);
    assertInterrupted(() -> store.get("k"), "during Redis GET of 'i:{k}'");
    assertInterrupted(() -> store.put("k", entry), "during Redis write of 'i:{k}'");
    assertInterrupted(() -> {
      store.invalidate("k");
      return null;
    }, "during Redis DEL of 'i:{k}'");
  }

  /** An interrupted acquire may still run on the server when the pause ends: the lease it took is released. */
  @Test
  void anInterruptedAcquireLeavesNoLease() throws Exception {
    assertInterrupted(() -> locks.tryAcquire("k", "me", 60_000), "during the Redis acquire of 'i:{k}:lock'");
    locks.cleanups().get(10, TimeUnit.SECONDS);
    assertNull(paused.admin.sync().get(keys.lock("k")), "lease left by the interrupted acquire");
    assertTrue(locks.tryAcquire("k", "other", 60_000) > 0);
  }

  @Test
  void anInterruptedRenewIsTheCallersInterrupt() throws Exception {
    assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
    assertInterrupted(() -> locks.renew("k", "me", 60_000), "during the Redis renew of 'i:{k}:lock'");
  }

  /** An interrupted SUBSCRIBE leaves no waiter and, once the server has answered, no subscription. */
  @Test
  void anInterruptedSubscribeLeavesNoSubscription() throws Exception {
    locks.watch("warm").close(); // the pub/sub connection is open: the SUBSCRIBE itself is what waits
    assertInterrupted(() -> locks.watch("k"), "while subscribing to 'i:{k}:signal'");
    assertEquals(0, locks.watchedNames());
    locks.signalsIdle().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(), paused.admin.sync().pubsubChannels("i:*"));
  }

  /**
   * A release and a signal are clean-ups: a caller whose thread is interrupted (its request cancelled while it
   * loaded) still releases its lease and wakes the waiters, and keeps its interrupt status.
   */
  @Test
  void releaseAndSignalRunOnAnInterruptedThread() throws Exception {
    try (RedisLocks<String> other = new RedisLocks<>(client, keys); Locks.Watch watch = other.watch("k")) {
      assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
      Thread.currentThread().interrupt();
      boolean released;
      try {
        released = locks.release("k", "me");
        locks.signal("k");
      } finally {
        assertTrue(Thread.interrupted(), "the interrupt status is kept");
      }
      assertTrue(released, "released at once");
      assertNull(paused.admin.sync().get(keys.lock("k")));
      assertTrue(watch.await(5, TimeUnit.SECONDS), "the waiter of another node was signalled");
    }
  }

  private void assertInterrupted(Callable<?> call, String where) throws InterruptedException {
    Outcome outcome = paused.interruptInCommand(call);
    InterruptedLoadException e = assertInstanceOf(InterruptedLoadException.class, outcome.result(),
        "an interrupted command " + where);
    assertTrue(e.getMessage().contains("interrupted " + where), e.getMessage());
    assertTrue(outcome.interruptStatus(), "the interrupt status is set " + where);
  }
}
