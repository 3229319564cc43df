package stampede.redis;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * {@link CacheStore} on Redis, through one Lettuce connection. Leases and signals are {@link RedisLocks}.
 *
 * <p><b>Codec.</b> An entry is a Redis hash at {@link RedisKeys#entry}: field {@code v} holds the value's bytes from
 * the {@link ValueCodec}; {@code w}, {@code e}, {@code d}, {@code f} hold write time, expire time, load nanos and
 * fence as decimal ASCII. The hash expires (PEXPIRE) at {@code expireTime + retention}. A key that is not such a
 * hash, lacks a field, has a non-numeric field, or whose value the codec rejects is reported as a
 * {@link CorruptEntryException}; {@link #put} overwrites it.
 *
 * <p><b>Time.</b> Entries are shared by every process on this Redis, so their times are wall-clock readings
 * ({@link Ticker#wall()} by default): processes agree on an entry's freshness within their clock skew.
 *
 * <p><b>Failures.</b> Commands fail fast while disconnected (Lettuce {@code REJECT_COMMANDS}) and time out after the
 * client's timeout; both surface as {@link StoreException}. The connection reconnects by itself once Redis is back.
 */
public final class RedisStore<K, V> implements CacheStore<K, V>, AutoCloseable {
  static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

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

  private final RedisKeys<K> keys;
  private final ValueCodec<V> codec;
  private final Ticker ticker;
  private final long retainNanos;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;

  private RedisStore(Builder<K, V> b) {
    this.keys = b.keys;
    this.codec = b.codec;
    this.ticker = b.ticker;
    this.retainNanos = b.retention.toNanos();
    if (retainNanos < 0) {
      throw new IllegalArgumentException("retention < 0: " + b.retention);
    }
    try {
      this.connection = b.client.connect(CODEC);
    } catch (RedisException e) {
      throw new StoreException("cannot connect to Redis: " + e.getMessage(), e);
    }
    this.redis = connection.sync();
  }

  /**
   * A store on {@code client} (not closed by the store), naming keys by {@code keys} and encoding values by
   * {@code values}.
   */
  public static <K, V> Builder<K, V> builder(RedisClient client, RedisKeys<K> keys, ValueCodec<V> values) {
    return new Builder<>(client, keys, values);
  }

  /**
   * A client that fails fast: commands time out after {@code timeout}, are rejected at once while disconnected,
   * and the connection reconnects in the background.
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
    String name = keys.entry(key);
    Map<String, byte[]> hash;
    try {
      hash = redis.hgetall(name);
    } catch (RedisException e) {
      if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
        throw new CorruptEntryException("key '" + name + "' does not hold a stampede entry (not a hash)", e);
      }
      throw new StoreException("Redis GET of '" + name + "' failed: " + e.getMessage(), e);
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
      throw new CorruptEntryException("corrupt entry at '" + name + "': " + e.getMessage(), e);
    }
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(entry, "entry");
    String name = keys.entry(key);
    long retainMillis = Math.max(1,
        TimeUnit.NANOSECONDS.toMillis(entry.expireTime() + retainNanos - ticker.read()) + 1);
    try {
      return redis.<Long>eval(PUT, ScriptOutputType.INTEGER, new String[] {name},
          codec.encode(entry.value()), ascii(entry.writeTime()), ascii(entry.expireTime()),
          ascii(entry.loadNanos()), ascii(entry.fence()), ascii(retainMillis)) == 1L;
    } catch (RedisException e) {
      throw new StoreException("Redis write of '" + name + "' failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void invalidate(K key) {
    try {
      redis.del(keys.entry(key));
    } catch (RedisException e) {
      throw new StoreException("Redis DEL failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }

  /** The names this store gives keys. */
  public RedisKeys<K> keys() {
    return keys;
  }

  @Override
  public void close() {
    connection.close();
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

  static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /** Settings of a {@link RedisStore}, with their defaults. */
  public static final class Builder<K, V> {
    private final RedisClient client;
    private final RedisKeys<K> keys;
    private final ValueCodec<V> codec;
    private Ticker ticker = Ticker.wall();
    private Duration retention = Duration.ofMinutes(1);

    private Builder(RedisClient client, RedisKeys<K> keys, ValueCodec<V> codec) {
      this.client = Objects.requireNonNull(client, "client");
      this.keys = Objects.requireNonNull(keys, "keys");
      this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** The clock of entry times; default {@link Ticker#wall()}, shared by every node. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** How long a stale entry is kept past its expiry; default 1 minute. */
    public Builder<K, V> retention(Duration retention) {
      this.retention = Objects.requireNonNull(retention, "retention");
      return this;
    }

    public RedisStore<K, V> build() {
      return new RedisStore<>(this);
    }
  }
}
