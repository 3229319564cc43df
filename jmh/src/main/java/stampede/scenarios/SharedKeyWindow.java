package stampede.scenarios;

import stampede.core.Nullable;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import stampede.fixtures.BenchCache;

/**
 * What the shared-hot-key scenario reads around one row's measured window, on a thread of its own: at the window's
 * start it reads Redis's {@code INFO commandstats} and the nodes' L1 counters, then the writer updates the hot key
 * {@code writes} times, once per {@code period} from the start (the last a period before the window ends, so every
 * node has had time to see it), through one node ({@link BenchCache#update}: the value changes, its expiry does not) and
 * records each write in the {@link InvalidationLatency}; {@link #close()} (after the run) stops the writer and reads
 * both again. The commands per second are the difference over the time between the two readings.
 */
final class SharedKeyWindow implements AutoCloseable {
  private final Context ctx;
  private final StatefulRedisConnection<String, String> redis;
  private final @Nullable Supplier<long[]> l1;
  private final BenchCache writer;
  private final String key;
  private final InvalidationLatency invalidation;
  private final Duration period;
  private final int writes;
  private final Thread thread;
  private volatile boolean closed;
  private @Nullable CommandStats before;
  private long @Nullable [] l1Before;
  private long openedAt;
  private int skipped;

  /**
   * What the window measured: the calls per command in it, its seconds, L1 hits, reads and fills in it (fills -1
   * where the L1 does not count them), writes skipped.
   */
  record Reading(CommandStats commands, double seconds, long l1Hits, long l1Reads, long l1Fills, int writesSkipped) {
    double commandsPerSecond() {
      return commands.total() / seconds;
    }
  }

  /**
   * Opens at {@code openAt} ({@link Context#now()} time); {@code l1} sums the nodes' {hits, reads, fills} (null: no
   * L1; fills -1 if not counted);
   * {@code redis} is a connection of the scenario's own (its {@code info} calls are left out of the counts).
   */
  SharedKeyWindow(Context ctx, RedisClient client, @Nullable Supplier<long[]> l1, BenchCache writer, String key,
      InvalidationLatency invalidation, Duration period, int writes, long openAt) {
    this.ctx = ctx;
    this.redis = client.connect();
    this.l1 = l1;
    this.writer = writer;
    this.key = key;
    this.invalidation = invalidation;
    this.period = period;
    this.writes = writes;
    this.thread = new Thread(() -> run(openAt), "shared-key-window");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(long openAt) {
    ctx.sleepUntil(openAt);
    before = commandStats();
    l1Before = l1 == null ? null : l1.get();
    openedAt = System.nanoTime();
    long next = openedAt;
    for (int w = 0; w < writes && !closed; w++, next += period.toNanos()) {
      for (long left = next - System.nanoTime(); left > 0 && !closed; left = next - System.nanoTime()) {
        LockSupport.parkNanos(left); // reading() unparks it
      }
      if (closed) {
        break;
      }
      long start = System.nanoTime();
      try {
        if (writer.update(key, key + "@w@" + start)) {
          invalidation.written(start, System.nanoTime());
        } else {
          skipped++; // no entry to update (it was being reloaded): nothing to see
        }
      } catch (RuntimeException e) {
        skipped++;
      }
    }
  }

  private CommandStats commandStats() {
    return CommandStats.parse(redis.sync().info("commandstats"));
  }

  /** Stops the writer and reads the counters again; call it once, after the run. */
  Reading reading() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    CommandStats opened = before;
    if (opened == null) {
      throw new IllegalStateException("the window never opened");
    }
    CommandStats after = commandStats();
    double seconds = (System.nanoTime() - openedAt) / 1e9;
    long @Nullable [] l1After = l1 == null ? null : l1.get();
    return new Reading(after.minus(opened).without("info"), seconds, delta(l1Before, l1After, 0),
        delta(l1Before, l1After, 1), l1After == null || l1After[2] < 0 ? -1 : delta(l1Before, l1After, 2), skipped);
  }

  private static long delta(long @Nullable [] before, long @Nullable [] after, int i) {
    return after == null || before == null ? 0 : after[i] - before[i];
  }

  @Override
  public void close() {
    closed = true;
    redis.close();
  }
}
