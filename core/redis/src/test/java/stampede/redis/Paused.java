package stampede.redis;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import stampede.redis.RedisLocksTest.Admin;
import stampede.testkit.EmbeddedRedis;

/**
 * A Redis of a test's own that can be paused ({@code CLIENT PAUSE}, every client), to catch a thread inside a
 * command: {@link #interruptInCommand} starts a call, waits until its thread waits for Redis's answer, interrupts
 * it, and reports what the call ended with and whether the thread's interrupt status was set at its end.
 */
final class Paused implements AutoCloseable {
  /** Long enough to see a thread wait inside the command on a busy machine; the admin waits it out afterwards. */
  static final Duration PAUSE = Duration.ofMillis(3_000);

  final EmbeddedRedis redis = EmbeddedRedis.start();
  final Admin admin = new Admin(redis);

  /** What a call ended with: its value or the Throwable it threw, and its thread's interrupt status then. */
  record Outcome(Object result, boolean interruptStatus) { }

  /**
   * Pauses the server, runs {@code call} on a new thread, interrupts the thread once it waits inside a Redis command
   * ({@link #awaitBlockedInRedis}), and returns once the pause is over.
   */
  Outcome interruptInCommand(Callable<?> call) throws InterruptedException {
    admin.sync().clientPause(PAUSE.toMillis());
    Object[] result = new Object[1];
    boolean[] status = new boolean[1];
    Thread caller = new Thread(() -> {
      try {
        result[0] = call.call();
      } catch (Throwable e) {
        result[0] = e;
      }
      status[0] = Thread.currentThread().isInterrupted();
    }, "interrupted-caller");
    caller.setDaemon(true);
    caller.start();
    awaitBlockedInRedis(caller, PAUSE.toNanos() * 3 / 4);
    caller.interrupt();
    caller.join(TimeUnit.SECONDS.toMillis(10));
    if (caller.isAlive()) {
      throw new AssertionError("the interrupted caller is still running: " + Arrays.toString(caller.getStackTrace()));
    }
    admin.sync().ping(); // paused too: answers once the pause is over
    return new Outcome(result[0], status[0]);
  }

  /**
   * Waits until {@code thread} waits (parked) in Lettuce or in {@link RedisSignals} (a subscription's confirmation):
   * inside a Redis command of a paused server.
   */
  static void awaitBlockedInRedis(Thread thread, long withinNanos) throws InterruptedException {
    long deadline = System.nanoTime() + withinNanos;
    while (System.nanoTime() - deadline < 0) {
      Thread.State state = thread.getState();
      if ((state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
          && Arrays.stream(thread.getStackTrace()).anyMatch(f -> f.getClassName().startsWith("io.lettuce.core.")
              || f.getClassName().equals(RedisSignals.class.getName()))) {
        return;
      }
      Thread.sleep(1);
    }
    throw new AssertionError(thread.getName() + " never waited inside a Redis command: " + thread.getState() + " "
        + Arrays.toString(thread.getStackTrace()));
  }

  @Override
  public void close() {
    admin.close();
    redis.close();
  }
}
