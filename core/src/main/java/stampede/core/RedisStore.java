package stampede.core;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@link CacheStore} and {@link Locks} on Redis, through one Lettuce connection (plus one pub/sub
 * connection, opened on the first {@link #watch}).
 *
 * <p><b>Codec.</b> An entry is a Redis hash at {@code prefix + key}: field {@code v} holds the value's bytes from
 * the {@link ValueCodec}; {@code w}, {@code e}, {@code d}, {@code f} hold write time, expire time, load
 * nanos and fence as decimal ASCII. The hash expires (PEXPIRE) at {@code expireTime + retention}. A key that
 * is not such a hash, lacks a field, has a non-numeric field, or whose value the codec rejects is reported
 * as a {@link CorruptEntryException}; {@link #put} overwrites it.
 *
 * <p><b>Locks.</b> {@code SET prefix+"lock:"+name owner NX PX lease}, and on success {@code INCR
 * prefix+"fence:"+name} for the fencing token, in one script. The token is at least Redis's clock in
 * microseconds, so it still grows after Redis restarts empty (unless the server's clock goes back further than
 * the restart took). Release and renew compare the owner in a script.
 * Signals are {@code PUBLISH prefix+"signal:"+name}; one {@code PSUBSCRIBE prefix+"signal:*"} per store
 * dispatches them to local watchers (every store sees every signal: fine for a reference, costly for very
 * many keys).
 *
 * <p><b>Failures.</b> Commands fail fast while disconnected (Lettuce {@code REJECT_COMMANDS}) and time out
 * after the client's timeout; both surface as {@link StoreException}. The connection reconnects by itself
 * once Redis is back.
 */
public final class RedisStore<K, V> implements CacheStore<K, V>, Locks, AutoCloseable {
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private static final String PUT = String.join("\n",
      "local t = redis.call('TYPE', KEYS[1])['ok']",
      "if t == 'hash' then",
      "  local f = tonumber(redis.call('HGET', KEYS[1], 'f'))",
      "  if f and f > tonumber(ARGV[5]) then return 0 end",
      "end",
      "redis.call('DEL', KEYS[1])",
      "redis.call('HSET', KEYS[1], 'v', ARGV[1], 'w', ARGV[2], 'e', ARGV[3], 'd', ARGV[4], 'f', ARGV[5])",
      "redis.call('PEXPIRE', KEYS[1], ARGV[6])",
      "return 1");
  // The token is max(counter + 1, Redis TIME in microseconds): a Redis restarted empty (no persistence) loses
  // the counter, and the clock floor keeps the next token above every token handed out before the restart.
  private static final String ACQUIRE = String.join("\n",
      "if redis.replicate_commands then redis.replicate_commands() end",
      "if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end",
      "local t = redis.call('TIME')",
      "local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])",
      "local n = redis.call('INCR', KEYS[2])",
      "if n < floor then n = floor; redis.call('SET', KEYS[2], string.format('%.0f', n)) end",
      "return n");
  private static final String RELEASE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  private static final String RENEW =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

  private final RedisClient client;
  private final ValueCodec<V> codec;
  private final Ticker ticker;
  private final long retainNanos;
  private final String prefix;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;
  private final ConcurrentHashMap<String, Set<CountDownLatch>> watchers = new ConcurrentHashMap<>();
  private volatile StatefulRedisPubSubConnection<String, byte[]> pubSub;

  /**
   * @param client    a client, e.g. from {@link #client(String, Duration)}; not closed by this store
   * @param codec     the value codec
   * @param ticker    the ticker the strategies use (entry times are its readings)
   * @param retention how long a stale entry is kept past its expiry
   * @param prefix    prepended to every Redis key and channel, e.g. "app:"
   */
  public RedisStore(RedisClient client, ValueCodec<V> codec, Ticker ticker, Duration retention, String prefix) {
    this.client = Objects.requireNonNull(client, "client");
    this.codec = Objects.requireNonNull(codec, "codec");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.retainNanos = retention.toNanos();
    if (retainNanos < 0) {
      throw new IllegalArgumentException("retention < 0: " + retention);
    }
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    try {
      this.connection = client.connect(CODEC);
    } catch (RedisException e) {
      throw new StoreException("cannot connect to Redis: " + e.getMessage(), e);
    }
    this.redis = connection.sync();
  }

  /**
   * A client that fails fast: commands time out after {@code timeout}, are rejected at once while
   * disconnected, and the connection reconnects in the background.
   */
  public static RedisClient client(String uri, Duration timeout) {
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(timeout);
    RedisClient client = RedisClient.create(redisUri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
        .build());
    return client;
  }

  @Override
  public Entry<V> get(K key) {
    String redisKey = redisKey(key);
    Map<String, byte[]> hash;
    try {
      hash = redis.hgetall(redisKey);
    } catch (RedisException e) {
      if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
        throw new CorruptEntryException("key '" + redisKey + "' does not hold a stampede entry (not a hash)", e);
      }
      throw new StoreException("Redis GET of '" + redisKey + "' failed: " + e.getMessage(), e);
    }
    if (hash == null || hash.isEmpty()) {
      return null;
    }
    try {
      V value = codec.decode(field(hash, "v"));
      if (value == null) {
        throw new IllegalArgumentException("codec decoded null");
      }
      return new Entry<>(value, number(hash, "w"), number(hash, "e"), number(hash, "d"), number(hash, "f"));
    } catch (Exception e) {
      throw new CorruptEntryException("corrupt entry at '" + redisKey + "': " + e.getMessage(), e);
    }
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(entry, "entry");
    long retainMillis = Math.max(1,
        TimeUnit.NANOSECONDS.toMillis(entry.expireTime() + retainNanos - ticker.read()) + 1);
    Long written = eval(PUT, new String[] {redisKey(key)},
        codec.encode(entry.value()), ascii(entry.writeTime()), ascii(entry.expireTime()),
        ascii(entry.loadNanos()), ascii(entry.fence()), ascii(retainMillis));
    return written == 1L;
  }

  @Override
  public void invalidate(K key) {
    try {
      redis.del(redisKey(key));
    } catch (RedisException e) {
      throw new StoreException("Redis DEL failed: " + e.getMessage(), e);
    }
  }

  @Override
  public long tryAcquire(String name, String owner, long leaseMillis) {
    return eval(ACQUIRE, new String[] {prefix + "lock:" + name, prefix + "fence:" + name},
        bytes(owner), ascii(leaseMillis));
  }

  @Override
  public boolean renew(String name, String owner, long leaseMillis) {
    return eval(RENEW, new String[] {prefix + "lock:" + name}, bytes(owner), ascii(leaseMillis)) == 1L;
  }

  @Override
  public boolean release(String name, String owner) {
    return eval(RELEASE, new String[] {prefix + "lock:" + name}, bytes(owner)) == 1L;
  }

  /** The owner token holding lease {@code name}, or null (for tests and diagnostics). */
  public String lockHolder(String name) {
    try {
      byte[] owner = redis.get(prefix + "lock:" + name);
      return owner == null ? null : new String(owner, StandardCharsets.UTF_8);
    } catch (RedisException e) {
      throw new StoreException("Redis GET failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Watch watch(String name) {
    subscribe();
    return Watchers.watch(watchers, prefix + "signal:" + name);
  }

  /** How many names have a watcher now (for tests: closed watches leave nothing behind). */
  int watchedNames() {
    return watchers.size();
  }

  @Override
  public void signal(String name) {
    try {
      redis.publish(prefix + "signal:" + name, new byte[0]);
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
        StatefulRedisPubSubConnection<String, byte[]> ps = client.connectPubSub(CODEC);
        ps.addListener(new RedisPubSubAdapter<>() {
          @Override
          public void message(String pattern, String channel, byte[] message) {
            Watchers.signal(watchers, channel);
          }
        });
        ps.sync().psubscribe(prefix + "signal:*");
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

  private String redisKey(K key) {
    return prefix + Objects.requireNonNull(key, "key");
  }

  private Long eval(String script, String[] keys, byte[]... args) {
    try {
      return redis.eval(script, ScriptOutputType.INTEGER, keys, args);
    } catch (RedisException e) {
      throw new StoreException("Redis script on '" + keys[0] + "' failed: " + e.getMessage(), e);
    }
  }

  private static byte[] field(Map<String, byte[]> hash, String name) {
    byte[] b = hash.get(name);
    if (b == null) {
      throw new IllegalArgumentException("missing field '" + name + "'");
    }
    return b;
  }

  private static long number(Map<String, byte[]> hash, String name) {
    return Long.parseLong(new String(field(hash, name), StandardCharsets.US_ASCII));
  }

  private static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
