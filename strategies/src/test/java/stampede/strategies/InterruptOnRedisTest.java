package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualExecutor;

/**
 * Issue 18, item 1, end to end on a real Redis: a caller interrupted inside a Redis command (the server paused with
 * {@code CLIENT PAUSE}, the caller's thread interrupted while it waits for the answer) is a cancelled request, not a
 * Redis outage. Before, RedisStore and RedisLocks reported it as a {@code StoreException}: the store guard opened for
 * the whole process with Redis up, a healthy caller's invalidate threw, 100 healthy callers on 100 keys fresh in
 * Redis made 99 loads through {@link LayeredStack}, and a {@link DistributedLock} caller took the fallback and loaded
 * beside the lease holder (2 loads).
 */
class InterruptOnRedisTest {
  private static final Duration PAUSE = Duration.ofMillis(3_000);
  private static final long FRESH_NANOS = TimeUnit.MINUTES.toNanos(5);

  private final EmbeddedRedis redis = EmbeddedRedis.start();
  private final RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(5));
  private final RedisClient adminClient = RedisClient.create();
  private final StatefulRedisConnection<String, String> admin = adminClient.connect(admin(redis));
  private final RedisKeys<String> keys = RedisKeys.strings("cancel:");
  private final RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
  private final RedisLocks<String> locks = new RedisLocks<>(client, keys);

  @AfterEach
  void close() {
    locks.close();
    store.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    admin.close();
    adminClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    redis.close();
  }

  /** One interrupted read leaves the guard closed: Redis is up, and a healthy caller's invalidate reaches it. */
  @Test
  void anInterruptedReadLeavesTheGuardClosed() throws Exception {
    StoreGuard<String, String> guard = StoreGuard.builder(store, locks).build();
    fresh("k", "cached");
    Object[] outcome = interruptInCommand(() -> guard.get("k"));
    assertFalse(guard.isOpen(), "the guard opened on an interrupt, with Redis up");
    guard.invalidate("k"); // threw "the store is unreachable" while open
    assertNull(store.get("k"), "invalidated in Redis");
    assertInstanceOf(InterruptedLoadException.class, outcome[0], "what the interrupted caller got");
    assertEquals(true, outcome[1], "its interrupt status is set");
  }

  /** After one interrupted call through the stack, 100 healthy callers on 100 keys fresh in Redis load nothing. */
  @Test
  void healthyCallersAfterAnInterruptedOneLoadNothing() throws Exception {
    CacheAside<String, String> stack = LayeredStack.builder(store, locks, Duration.ofMinutes(5), new ManualExecutor())
        .build();
    CountingLoader db = new CountingLoader(Ticker.system(), 1);
    for (int i = 0; i < 100; i++) {
      fresh("key" + i, "cached " + i);
    }
    Object[] outcome = interruptInCommand(() -> stack.get("key0", db));
    int before = db.loads();
    List<Object> results = Callers.race(100, i -> 0, i -> stack.get("key" + i, db), Duration.ofSeconds(30),
        "100 healthy callers");
    assertEquals(0, db.loads() - before, "database loads by 100 healthy callers on 100 keys fresh in Redis");
    for (int i = 0; i < 100; i++) {
      assertEquals("cached " + i, results.get(i), "caller " + i);
    }
    assertInstanceOf(InterruptedLoadException.class, outcome[0], "what the interrupted caller got");
    assertEquals(true, outcome[1], "its interrupt status is set");
    assertEquals(0, before, "loads by the interrupted caller");
  }

  /**
   * A caller (of another node) interrupted in its acquire while another holds the lease does not load beside the
   * holder: 1 load, and the cancelled caller gets an InterruptedLoadException with its interrupt status set. No lease
   * is left behind.
   */
  @Test
  void anInterruptedWaiterDoesNotLoadBesideTheHolder() throws Exception {
    Counters counters = new Counters();
    DistributedLock<String, String> lock = DistributedLock.builder(store, locks,
        new StoreFill<>(store, counters, Ttl.fixed(Duration.ofMinutes(5)))).metrics(counters).build();
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Loader<String, String> db = key -> {
      int n = loads.incrementAndGet();
      if (n == 1) {
        holding.countDown();
        finish.await(); // the holder's load runs until the test ends it
      } else {
        Thread.sleep(1);
      }
      return key + "@v" + n;
    };
    Object[] holderResult = new Object[1];
    Thread holder = new Thread(() -> holderResult[0] = lock.fill("k", null, 0, db), "lease-holder");
    holder.start();
    assertTrue(holding.await(10, TimeUnit.SECONDS), "the holder is loading");

    // another node's lock (a caller of the holder's own waits on the holder, sending nothing to Redis)
    DistributedLock<String, String> otherNode = DistributedLock.builder(store, locks,
        new StoreFill<>(store, counters, Ttl.fixed(Duration.ofMinutes(5)))).metrics(counters).build();
    Object[] outcome = interruptInCommand(() -> otherNode.fill("k", null, 0, db));
    finish.countDown();
    holder.join(10_000);
    assertEquals(1, loads.get(), "loads (" + counters + ")");
    assertEquals(0, counters.get(Event.LOCK_FALLBACK), "fallbacks");
    InterruptedLoadException e = assertInstanceOf(InterruptedLoadException.class, outcome[0],
        "what the interrupted caller got");
    assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
    assertEquals(true, outcome[1], "its interrupt status is set");
    assertEquals("k@v1", holderResult[0]);
    assertEquals("k@v1", store.get("k").value());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (locks.holder("k") != null && System.nanoTime() - deadline < 0) {
      Thread.sleep(10); // the holder's release, and the interrupted acquire's clean-up (a no-op: it took nothing)
    }
    assertNull(locks.holder("k"), "a lease left behind");
  }

  private void fresh(String key, String value) {
    long now = store.ticker().read();
    assertTrue(store.put(key, new Entry<>(value, now, now + FRESH_NANOS, 0, 0)));
  }

  /**
   * Pauses Redis, runs {@code call} on a thread, interrupts it once it waits inside a Redis command, and returns what
   * it ended with (value or Throwable) and its interrupt status then, once the pause is over.
   */
  private Object[] interruptInCommand(Callable<?> call) throws InterruptedException {
    admin.sync().clientPause(PAUSE.toMillis());
    Object[] outcome = new Object[2];
    Thread caller = new Thread(() -> {
      try {
        outcome[0] = call.call();
      } catch (Throwable t) {
        outcome[0] = t;
      }
      outcome[1] = Thread.currentThread().isInterrupted();
    }, "cancelled-caller");
    caller.setDaemon(true);
    caller.start();
    long deadline = System.nanoTime() + PAUSE.toNanos() * 3 / 4;
    while (!waitsForRedis(caller)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("the caller never waited inside a Redis command: " + caller.getState() + " "
            + Arrays.toString(caller.getStackTrace()));
      }
      Thread.sleep(1);
    }
    caller.interrupt();
    caller.join(10_000);
    assertFalse(caller.isAlive(), "the interrupted caller still runs");
    admin.sync().ping(); // paused too: answers once the pause is over
    return outcome;
  }

  /** Parked inside Lettuce, or in RedisSignals waiting for a subscription's confirmation. */
  private static boolean waitsForRedis(Thread t) {
    Thread.State state = t.getState();
    if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
      return false;
    }
    List<String> frames = new ArrayList<>();
    for (StackTraceElement f : t.getStackTrace()) {
      frames.add(f.getClassName());
    }
    return frames.stream().anyMatch(c -> c.startsWith("io.lettuce.core.") || c.equals("stampede.redis.RedisSignals"));
  }

  private static RedisURI admin(EmbeddedRedis redis) {
    RedisURI uri = RedisURI.create(redis.uri());
    uri.setTimeout(Duration.ofSeconds(10));
    return uri;
  }
}
