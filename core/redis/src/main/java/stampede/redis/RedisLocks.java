package stampede.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import stampede.core.Locks;
import stampede.core.StoreException;

/**
 * {@link Locks} on Redis: one lease per key, through one Lettuce connection plus one pub/sub connection, opened on
 * the first {@link #watch}.
 *
 * <p><b>Leases.</b> {@code SET} {@link RedisKeys#lock} {@code owner NX PX lease}, and on success {@code INCR}
 * {@link RedisKeys#fence} for the fencing token, in one script (both names share the key's hash tag, so one slot).
 * The token is at least Redis's clock in microseconds, so it still grows after the counter is gone: the counter
 * expires {@link #FENCE_TTL} after the key's last lease (no key is left behind per key ever locked), and a restart
 * without persistence or a failover may lose it. Tokens keep growing unless the server's clock steps back by more
 * than that. Release and renew compare the owner in a script.
 *
 * <p><b>Signals.</b> {@code PUBLISH} on {@link RedisKeys#signal}; one {@code PSUBSCRIBE} on
 * {@link RedisKeys#signalPattern} per instance dispatches them to local watchers (every instance sees every
 * signal: fine for a reference, costly for very many keys).
 *
 * <p><b>Failures.</b> As {@link RedisStore}: fast {@link StoreException}s while Redis is down or slow.
 */
public final class RedisLocks<K> implements Locks<K>, AutoCloseable {
  /** How long a key's fencing counter outlives the key's last lease. */
  public static final Duration FENCE_TTL = Duration.ofMinutes(1);
  private static final byte[] FENCE_TTL_MILLIS = RedisStore.ascii(FENCE_TTL.toMillis());

  // The token is max(counter + 1, Redis TIME in microseconds), and the counter expires FENCE_TTL after the key's
  // last lease (ARGV[3]). A counter that expired, or was lost with a restart (no persistence) or a failover, gives
  // way to the clock floor, which is above every token handed out before: they were at most the clock of their
  // own time (an acquire takes far more than a microsecond), at least FENCE_TTL (or the restart) earlier.
  private static final RedisScript ACQUIRE = new RedisScript(
      "if redis.replicate_commands then redis.replicate_commands() end",
      "if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end",
      "local t = redis.call('TIME')",
      "local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])",
      "local n = redis.call('INCR', KEYS[2])",
      "if n < floor then n = floor; redis.call('SET', KEYS[2], string.format('%.0f', n)) end",
      "redis.call('PEXPIRE', KEYS[2], ARGV[3])",
      "return n");
  private static final RedisScript RELEASE = new RedisScript(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");
  private static final RedisScript RENEW = new RedisScript(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0");

  private final RedisClient client;
  private final RedisKeys<K> keys;
  private final RedisConnection connection;
  private final RedisClusterCommands<String, byte[]> redis;
  private final ConcurrentHashMap<String, Set<CountDownLatch>> watchers = new ConcurrentHashMap<>();
  private volatile StatefulRedisPubSubConnection<String, byte[]> pubSub;

  /** Leases on {@code client} (not closed by this), named by {@code keys}: use the store's, so they share slots. */
  public RedisLocks(RedisClient client, RedisKeys<K> keys) {
    this.client = Objects.requireNonNull(client, "client");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.connection = RedisConnection.open(client);
    this.redis = connection.sync;
    for (RedisScript script : new RedisScript[] {ACQUIRE, RELEASE, RENEW}) {
      script.load(redis);
    }
  }

  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    return eval(ACQUIRE, new String[] {keys.lock(key), keys.fence(key)}, bytes(owner),
        RedisStore.ascii(leaseMillis), FENCE_TTL_MILLIS);
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    return eval(RENEW, new String[] {keys.lock(key)}, bytes(owner), RedisStore.ascii(leaseMillis)) == 1L;
  }

  @Override
  public boolean release(K key, String owner) {
    return eval(RELEASE, new String[] {keys.lock(key)}, bytes(owner)) == 1L;
  }

  /** The owner token holding the lease of {@code key}, or null (for tests and diagnostics). */
  public String holder(K key) {
    try {
      byte[] owner = redis.get(keys.lock(key));
      return owner == null ? null : new String(owner, StandardCharsets.UTF_8);
    } catch (RedisException e) {
      throw new StoreException("Redis GET failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Watch watch(K key) {
    subscribe();
    return Watchers.watch(watchers, keys.signal(key));
  }

  /** How many keys have a watcher now (for tests: closed watches leave nothing behind). */
  int watchedNames() {
    return watchers.size();
  }

  @Override
  public void signal(K key) {
    try {
      redis.publish(keys.signal(key), new byte[0]);
    } catch (RedisException e) {
      throw new StoreException("Redis PUBLISH failed: " + e.getMessage(), e);
    }
  }

  private void subscribe() {
    if (pubSub != null) {
      return;
    }
    synchronized (this) {
      if (pubSub != null) {
        return;
      }
      try {
        StatefulRedisPubSubConnection<String, byte[]> ps = client.connectPubSub(RedisConnection.CODEC);
        ps.addListener(new RedisPubSubAdapter<>() {
          @Override
          public void message(String pattern, String channel, byte[] message) {
            Watchers.signal(watchers, channel);
          }
        });
        ps.sync().psubscribe(keys.signalPattern());
        pubSub = ps;
      } catch (RedisException e) {
        throw new StoreException("Redis PSUBSCRIBE failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void close() {
    StatefulRedisPubSubConnection<String, byte[]> ps = pubSub;
    if (ps != null) {
      ps.close();
    }
    connection.close();
  }

  private Long eval(RedisScript script, String[] names, byte[]... args) {
    try {
      return script.run(redis, ScriptOutputType.INTEGER, names, args);
    } catch (RedisException e) {
      throw new StoreException("Redis script on '" + names[0] + "' failed: " + e.getMessage(), e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
