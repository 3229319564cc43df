package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisClient;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import stampede.testkit.EmbeddedRedis;

/**
 * Issue 18, item 11: every close and shutdown of core/redis has a bound. Lettuce's close waits, without a bound, for
 * its I/O thread to close the channel; under a 10,000-thread load that thread was so far behind that
 * {@code RedisLocks.close()} blocked for more than 5 minutes (here 2,000 threads left it blocked after 60 s). The
 * test makes Lettuce's I/O threads stuck outright, with 50 threads blocked in commands, and times each close.
 */
class RedisCloseTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  /** What a close may take past its bound (the command timeout) on a busy machine. */
  private static final long SLACK_MILLIS = 1_500;

  @Test
  void closeAndShutdownReturnWithinTheirBoundsWhileCommandsAreStuck() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), TIMEOUT);
      RedisKeys<String> keys = RedisKeys.strings("c:");
      RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
      RedisLocks<String> locks = new RedisLocks<>(client, keys);
      locks.watch("k").close(); // the pub/sub connection is open too
      EventLoopGroupProvider provider = client.getResources().eventLoopGroupProvider();
      EventLoopGroup io = provider.allocate(Transports.eventLoopGroupClass());
      CountDownLatch unstick = new CountDownLatch(1);
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> callers = new ArrayList<>();
      try {
        for (EventExecutor loop : io) {
          loop.execute(() -> {
            try {
              unstick.await(2, TimeUnit.MINUTES); // Lettuce's I/O thread, stuck
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
        }
        for (int i = 0; i < 50; i++) {
          String key = "k" + i;
          Thread caller = new Thread(() -> {
            while (!stop.get()) {
              try {
                store.get(key); // times out after 1 s: nothing goes out
              } catch (RuntimeException e) {
                LockSupport.parkNanos(1_000_000); // timed out, or closed (at once): call again, without spinning
              }
            }
          }, "stuck-caller-" + i);
          caller.setDaemon(true);
          caller.start();
          callers.add(caller);
        }
        Thread.sleep(TIMEOUT.toMillis()); // every caller is inside a command

        List<String> late = new ArrayList<>();
        late.addAll(returnsWithin("RedisLocks.close()", TIMEOUT.toMillis() + SLACK_MILLIS, locks::close));
        late.addAll(returnsWithin("RedisStore.close()", TIMEOUT.toMillis() + SLACK_MILLIS, store::close));
        // client.shutdown(quiet 0, timeout 1 s): the connections within 1 s, then the resources within 1 s
        late.addAll(returnsWithin("client.shutdown()", 2_000 + SLACK_MILLIS,
            () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
        assertEquals(List.of(), late);
      } finally {
        stop.set(true);
        unstick.countDown();
        for (Thread caller : callers) {
          caller.join(5_000);
        }
        try {
          provider.release(io, 0, 1, TimeUnit.SECONDS);
        } catch (RuntimeException alreadyShutDown) {
          // the client's shutdown shut the group down
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /** Runs {@code close} on a thread of its own; says so if it has not returned after {@code boundMillis}. */
  private static List<String> returnsWithin(String what, long boundMillis, Runnable close)
      throws InterruptedException {
    long start = System.nanoTime();
    Thread closer = new Thread(close, "closer");
    closer.setDaemon(true);
    closer.start();
    closer.join(boundMillis);
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    return closer.isAlive() ? List.of(what + " still blocked after " + tookMillis + " ms (bound " + boundMillis
        + " ms)") : List.of();
  }
}
