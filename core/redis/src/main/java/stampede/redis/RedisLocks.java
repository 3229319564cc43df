package stampede.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import stampede.core.InterruptedLoadException;
import stampede.core.Locks;
import stampede.core.Nullable;
import stampede.core.StoreException;

/**
 * {@link Locks} on Redis or Redis Cluster: one lease per key, through one Lettuce connection, plus the signals of
 * {@link RedisSignals} (one pub/sub connection, opened on the first {@link #watch}).
 *
 * <p><b>Leases.</b> {@code SET} {@link RedisKeys#lock} {@code owner PX lease} if free, and {@code INCR}
 * {@link RedisKeys#fence} for the fencing token, in one script (both names share the key's hash tag, so one slot).
 * The token is at least Redis's clock in microseconds, so it still grows after the counter is gone: the counter
 * expires {@link #FENCE_TTL} after the key's last lease (no key is left behind per key ever locked), and a restart
 * without persistence or a failover may lose it. Tokens keep growing unless the server's clock steps back by more
 * than that. Release and renew compare the owner in a script. Scripts run by {@code EVALSHA} ({@link RedisScript}).
 *
 * <p><b>Leases under faults.</b> A command that times out on the client still runs on the server later. So an
 * acquire that fails (other than rejected unsent) or a release that fails is followed by a release by owner in the
 * background, on the same connection, retried until it runs or the lease would have ended (a release: for 30 s).
 * Lettuce also replays a command that was in flight when a connection dropped: a replayed acquire would find the
 * lease its first run took and answer 0, leaving it to run out. The clients of {@link RedisStore#client} and
 * {@link RedisStore#clusterClient} never replay an acquire (Lettuce's {@code replayFilter}): such a call times out,
 * and the clean-up above releases what its first run took.
 *
 * <p><b>Signals.</b> {@code PUBLISH} on {@link RedisKeys#signal}; a node subscribes to a key's channel only while it
 * has a waiter on that key ({@link RedisSignals}). {@link #close} wakes every waiter.
 *
 * <p><b>Failures.</b> As {@link RedisStore}: fast {@link StoreException}s while Redis is down or slow.
 *
 * <p><b>Interrupts.</b> A caller's interrupt is its cancellation, never a Redis failure: an acquire, renew or watch
 * interrupted while it waits for Redis throws {@link InterruptedLoadException} with the interrupt status set, so the
 * lock does not fall back to loading and a store guard does not open. An interrupted acquire may still run on the
 * server when Redis answers: the lease it takes is released by owner in the background (as after a timeout), so
 * nothing is left held; an acquire on an already interrupted thread is not sent. {@link #release} and
 * {@link #signal} are clean-ups: they run on an interrupted thread too (waiting at most twice the command timeout)
 * and leave its interrupt status set.
 */
public final class RedisLocks<K> implements Locks<K>, AutoCloseable {
  /** How long a key's fencing counter outlives the key's last lease. */
  public static final Duration FENCE_TTL = Duration.ofMinutes(1);
  private static final byte[] FENCE_TTL_MILLIS = RedisStore.ascii(FENCE_TTL.toMillis());
  /** How long a failed release is retried in the background (the lease length is not known there). */
  private static final Duration RELEASE_RETRIES = Duration.ofSeconds(30);
  /** At most this many background releases at once; beyond, leases are left to run out. */
  private static final int MAX_CLEANUPS = 10_000;
  /** Lettuce's message for a command rejected while disconnected: it was never sent. */
  private static final String NOT_SENT = "Currently not connected. Commands are rejected.";

  // The token is max(counter + 1, Redis TIME in microseconds), and the counter expires FENCE_TTL after the key's
  // last lease (ARGV[3]). A counter that expired, or was lost with a restart (no
  // persistence) or a failover, gives way to the clock floor, which is above every token handed out before: they
  // were at most the clock of their own time (an acquire takes far more than a microsecond), at least FENCE_TTL
  // (or the restart) earlier.
  static final RedisScript ACQUIRE = new RedisScript(
      "if redis.replicate_commands then redis.replicate_commands() end",
      "if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end",
      "local t = redis.call('TIME')",
      "local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])",
      "local n = redis.call('INCR', KEYS[2])",
      "if n < floor then n = floor; redis.call('SET', KEYS[2], string.format('%.0f', n)) end",
      "redis.call('PEXPIRE', KEYS[2], ARGV[3])",
      "return n").notReplayed(); // replayed after a reconnect, it would find its own lease held
  private static final RedisScript RELEASE = new RedisScript(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");
  private static final RedisScript RENEW = new RedisScript(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0");

  private static final byte[] EMPTY = new byte[0];

  private final RedisKeys<K> keys;
  private final RedisConnection connection;
  private final RedisClusterCommands<String, byte[]> redis;
  private final RedisSignals signals;
  private final Duration cleanUpBound;
  private final Set<CompletableFuture<Void>> cleanups = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Leases on {@code client} (not closed by this), named by {@code keys}: use the store's, so they share slots. */
  public RedisLocks(RedisClient client, RedisKeys<K> keys) {
    this((AbstractRedisClient) client, keys);
  }

  /** Leases on a Redis Cluster through {@code client} (not closed by this); {@code keys} as the store's. */
  public RedisLocks(RedisClusterClient client, RedisKeys<K> keys) {
    this((AbstractRedisClient) client, keys);
  }

  private RedisLocks(AbstractRedisClient client, RedisKeys<K> keys) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.connection = RedisConnection.open(Objects.requireNonNull(client, "client"));
    this.redis = connection.sync;
    this.cleanUpBound = connection.timeout().multipliedBy(2); // the command times out first
    this.signals = new RedisSignals(client);
    for (RedisScript script : new RedisScript[] {ACQUIRE, RELEASE, RENEW}) {
      script.load(redis);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws InterruptedLoadException if the thread is interrupted, before the acquire (nothing is sent) or while it
   *                                  waits (a lease the acquire takes on the server is released in the background)
   */
  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    String lock = keys.lock(key);
    if (Thread.currentThread().isInterrupted()) {
      throw InterruptedLoadException.of(key, "before the Redis acquire of '" + lock + "' (not sent)", null);
    }
    try {
      return ACQUIRE.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {lock, keys.fence(key)}, bytes(owner),
          RedisStore.ascii(leaseMillis), FENCE_TTL_MILLIS);
    } catch (RedisException e) {
      if (!NOT_SENT.equals(e.getMessage())) { // it may run (or have run) on the server all the same
        cleanUp(lock, owner, TimeUnit.MILLISECONDS.toNanos(leaseMillis));
      }
      throw RedisStore.failure(key, "the Redis acquire of '" + lock + "'", e);
    }
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    String lock = keys.lock(key);
    try {
      return RENEW.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {lock}, bytes(owner),
          RedisStore.ascii(leaseMillis)) == 1L;
    } catch (RedisException e) {
      throw RedisStore.failure(key, "the Redis renew of '" + lock + "'", e);
    }
  }

  /** {@inheritDoc} A clean-up: it runs on an interrupted thread too, which keeps its interrupt status. */
  @Override
  public boolean release(K key, String owner) {
    String lock = keys.lock(key);
    try {
      return RedisConnection.awaitUninterruptibly(RELEASE.<Long>runAsync(connection.async, ScriptOutputType.INTEGER,
          new String[] {lock}, bytes(owner)), cleanUpBound) == 1L;
    } catch (RedisException e) {
      cleanUp(lock, owner, RELEASE_RETRIES.toNanos()); // it did not run, or may not have
      throw new StoreException("Redis release of '" + lock + "' failed: " + e.getMessage(), e);
    }
  }

  /** The owner token holding the lease of {@code key}, or null (for tests and diagnostics). */
  public @Nullable String holder(K key) {
    String lock = keys.lock(key);
    try {
      byte[] owner = redis.get(lock);
      return owner == null ? null : new String(owner, StandardCharsets.UTF_8);
    } catch (RedisException e) {
      throw RedisStore.failure(key, "Redis GET of '" + lock + "'", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws InterruptedLoadException if the thread is interrupted while it waits for the subscription (it leaves
   *                                  nothing subscribed)
   */
  @Override
  public Watch watch(K key) {
    return signals.watch(key, keys.signal(key));
  }

  /** {@inheritDoc} A clean-up: it runs on an interrupted thread too, which keeps its interrupt status. */
  @Override
  public void signal(K key) {
    String channel = keys.signal(key);
    try {
      RedisConnection.awaitUninterruptibly(connection.async.publish(channel, EMPTY), cleanUpBound);
    } catch (RedisException e) {
      throw new StoreException("Redis PUBLISH on '" + channel + "' failed: " + e.getMessage(), e);
    }
  }

  /**
   * Wakes every waiter of {@link #watch} and closes both connections at once, waiting at most the command timeout
   * (past it: a warning, and they go on closing in the background); the client stays open. Background releases stop:
   * a lease they had not released yet runs out by itself.
   */
  @Override
  public void close() {
    closed = true;
    RedisConnection.closeAll(connection.timeout(), "RedisLocks' connections", signals.stop(),
        connection.closeable());
  }

  /** How many keys have a watcher now (for tests: closed watches leave nothing behind). */
  int watchedNames() {
    return signals.channels();
  }

  /** Signals this instance received, for any key (for tests and the fan-out figures). */
  long messagesReceived() {
    return signals.received();
  }

  /** Completes once the server has answered every (un)subscription sent so far (for tests). */
  CompletableFuture<Void> signalsIdle() {
    return signals.idle();
  }

  /**
   * After an acquire or release that failed on the client, the server may hold the lease for {@code owner} (or take
   * it later: a command that timed out still runs). Release it in the background, by owner, on the same connection
   * (so after the failed command); retry while that fails, until the lease would have ended by itself.
   */
  private void cleanUp(String lock, String owner, long withinNanos) {
    if (closed || cleanups.size() >= MAX_CLEANUPS) {
      return; // the lease runs out by itself
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    cleanups.add(done);
    // CollectionUndefinedEquality: the set holds each future itself, so identity is the equality wanted here
    @SuppressWarnings({"unused", "CollectionUndefinedEquality"})
    CompletableFuture<Void> unused = done.whenComplete((v, e) -> cleanups.remove(done)); // only removes it
    releaseInBackground(lock, bytes(owner), System.nanoTime() + withinNanos, 50, done);
  }

  // FutureReturnValueIgnored: a scheduled retry reports through done, not through the future schedule() returns
  @SuppressWarnings("FutureReturnValueIgnored")
  private void releaseInBackground(String lock, byte[] owner, long deadline, long backoffMillis,
      CompletableFuture<Void> done) {
    CompletionStage<Long> release;
    try {
      release = RELEASE.runAsync(connection.async, ScriptOutputType.INTEGER, new String[] {lock}, owner);
    } catch (RedisException e) {
      release = CompletableFuture.failedFuture(e);
    }
    release.whenComplete((result, error) -> {
      if (error == null || closed || System.nanoTime() - deadline >= 0) {
        done.complete(null);
        return;
      }
      try {
        connection.executor().schedule(() -> releaseInBackground(lock, owner, deadline,
            Math.min(backoffMillis * 2, 1_000), done), backoffMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shutDown) {
        done.complete(null);
      }
    });
  }

  /** Completes when the background releases started so far are done (for tests). */
  CompletableFuture<Void> cleanups() {
    return CompletableFuture.allOf(cleanups.toArray(CompletableFuture[]::new));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
