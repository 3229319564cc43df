package stampede.spring;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.Objects;
import stampede.core.InterruptedLoadException;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * A cache's {@link Generation} kept in one Redis counter that every node shares: {@code <prefix>generation} (no
 * braces, so no entry, lease or fence name of {@link stampede.redis.RedisKeys} can equal it). {@link #next()} is one
 * {@code INCR}; {@link #current()} is one {@code GET}, or, with a {@code recheck} interval above zero, the value read
 * at most that long ago (a clear on another node is then seen within the interval).
 *
 * <p><b>Failures.</b> {@link #next()} throws {@link StoreException} (a clear that did not happen must not pass for
 * one). {@link #current()} answers with the last generation it read when Redis cannot be reached (0 if it never
 * read one): the entries are out of reach as well then, and the strategies load from the source of truth. A caller's
 * interrupt is an {@link InterruptedLoadException}, never a store failure.
 *
 * <p><b>Lost counter.</b> If the counter is lost (a Redis restart without persistence, a {@code FLUSHALL}, an
 * eviction under an {@code allkeys-*} policy), the first node to find it missing writes back the generation it last
 * read ({@code SET NX}; the other nodes then read that one), so the cache does not fall back to generation 0. A node
 * that never read one, or a counter lost while every node that knew it was down, starts again at 0: entries of an
 * older generation still in Redis could then be read again until they expire. Keep the counter with the entries (the
 * same persistence), or use a {@code volatile-*} eviction policy: the counter has no expiry, so it is never evicted.
 */
public final class RedisGeneration implements Generation, AutoCloseable {
  private final String name;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;
  private final long recheckNanos;
  private final Ticker ticker = Ticker.system();
  private volatile long last;
  private volatile long readAt;
  private volatile boolean read;

  /**
   * @param client  the client (not closed by this)
   * @param prefix  the cache's key prefix ({@code RedisKeys.prefix()}): the counter is {@code prefix + "generation"}
   * @param recheck how long a read generation is used before it is read again; zero reads it on every call
   */
  public RedisGeneration(RedisClient client, String prefix, Duration recheck) {
    this.name = Objects.requireNonNull(prefix, "prefix") + "generation";
    if (recheck.isNegative()) {
      throw new IllegalArgumentException("recheck < 0: " + recheck);
    }
    this.recheckNanos = recheck.toNanos();
    this.connection = client.connect(StringCodec.UTF8);
    this.redis = connection.sync();
  }

  /** The counter's Redis name. */
  public String name() {
    return name;
  }

  @Override
  public long current() {
    long now = ticker.read();
    if (read && recheckNanos > 0 && now - readAt < recheckNanos) {
      return last;
    }
    try {
      String value = redis.get(name);
      if (value == null && read && last > 0) { // the counter was lost: put back the one this node knows, unless
        redis.set(name, Long.toString(last), SetArgs.Builder.nx()); // another node did first (NX)
        value = redis.get(name);
      }
      long generation = value == null ? 0 : Long.parseLong(value);
      remember(generation, now);
      return generation;
    } catch (RedisException e) {
      if (isInterrupt(e)) {
        throw InterruptedLoadException.of(name, "during Redis GET of '" + name + "'", e);
      }
      return last;
    } catch (NumberFormatException e) {
      return last; // not ours: a clear overwrites it with a number again
    }
  }

  @Override
  public long next() {
    try {
      long generation = redis.incr(name);
      remember(generation, ticker.read());
      return generation;
    } catch (RedisException e) {
      if (isInterrupt(e)) {
        throw InterruptedLoadException.of(name, "during Redis INCR of '" + name + "'", e);
      }
      throw new StoreException("Redis INCR of '" + name + "' failed, the cache was not cleared: " + e.getMessage(), e);
    }
  }

  private void remember(long generation, long now) {
    last = generation;
    readAt = now;
    read = true;
  }

  private static boolean isInterrupt(RedisException e) {
    return InterruptedLoadException.isInterrupt(e);
  }

  @Override
  public void close() {
    connection.close();
  }
}
