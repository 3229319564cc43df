package stampede.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.Nullable;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * {@link CacheStore} on Redis or Redis Cluster, through one Lettuce connection ({@link RedisConnection}). Leases and
 * signals are {@link RedisLocks}.
 *
 * <p><b>Codec.</b> An entry is one Redis string at {@link RedisKeys#entry}: a 33-byte header, then the value's bytes
 * from the {@link ValueCodec}. The header is a magic/version byte ({@code 0xA1}) and four big-endian 64-bit longs:
 * write time, expire time, load nanos and fence. A hit is one {@code GET} of one value, read without a map or
 * decimal parsing. The string expires ({@code PX}) at {@code expireTime + retention}. A key that holds
 * another type ({@code WRONGTYPE}), a string shorter than the header or with another first byte, impossible times,
 * or value bytes the codec rejects are a {@link CorruptEntryException}, never a value. A value the codec cannot
 * encode exactly (it throws: {@link ValueCodec#utf8()} refuses an unpaired surrogate) is refused by {@link #put}
 * before any command, also as a {@link CorruptEntryException} ("value of key '...' cannot be encoded: ...; not
 * written"): nothing is written, a store guard does not read it as an outage, and a strategy's
 * {@code putQuietly} records {@code STORE_ERROR} while its caller keeps the loaded value, uncached.
 *
 * <p><b>Writes</b> run one script by {@code EVALSHA} ({@link RedisScript}) that applies the fence rule of
 * {@link CacheStore#put}: for a fenced write it reads the stored header with Lua's {@code struct} and refuses the
 * write only if a valid entry holds a strictly higher fence; then it {@code SET}s the entry with its {@code PX}.
 * Valid is everything {@link #get} checks that the script can see: a string at least as long as the header, the
 * magic byte, {@code expireTime >= writeTime}, {@code loadNanos >= 0}, {@code fence >= 0}, and an expiry (which this
 * store always sets). Fences and times are compared exactly, as 64-bit integers (not as Lua's doubles). What still
 * fences: only an entry whose header is valid but whose value bytes the codec rejects (the script cannot run the
 * codec), until it expires ({@code expireTime + retention}); another type, foreign bytes or impossible times never
 * refuse a write.
 *
 * <p><b>Time.</b> Entries are shared by every process on this Redis, so their times are wall-clock readings
 * ({@link Ticker#wall()} by default): processes agree on an entry's freshness within their clock skew. A read does
 * not read the clock; a write reads it once, for the expiry.
 *
 * <p><b>Failures.</b> Commands fail fast while disconnected (Lettuce {@code REJECT_COMMANDS}) and time out after the
 * client's timeout; both surface as {@link StoreException}. The connection reconnects by itself once Redis is back:
 * with {@link #client}, within {@link #MAX_RECONNECT_DELAY} plus one connect.
 *
 * <p><b>Interrupts.</b> A caller whose thread is interrupted while it waits for Redis (its request cancelled) gets an
 * {@link InterruptedLoadException} ("interrupted during Redis GET of '...'"), with its interrupt status set, from
 * {@link #get}, {@link #put} and {@link #invalidate}: never a {@link StoreException}, so a store guard does not read
 * a cancellation as an outage. The command was sent: an interrupted write or delete may still be applied.
 */
public final class RedisStore<K, V> implements CacheStore<K, V>, AutoCloseable {
  /** The longest wait between two reconnect attempts of {@link #client(String, Duration)}'s connections. */
  public static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

  static final byte MAGIC = (byte) 0xA1;
  static final int HEADER = 1 + 4 * Long.BYTES;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  // The fence rule of CacheStore.put. ARGV[1] is the new entry (header + value), ARGV[2] its PX. A fenced write is
  // refused only by a valid entry with a higher fence. Valid is everything decode checks that the script can see: a
  // string of at least the header, the magic byte (161), expireTime >= writeTime, loadNanos >= 0 and fence >= 0
  // (header bytes, 1-based: write 2-9, expire 10-17, loadNanos 18-25, fence 26-33), and an expiry, which this store
  // always sets (another type, foreign bytes, impossible times or a key without expiry never refuse). Lua numbers
  // are doubles, exact to 2^53 only: longs are compared exactly as a signed high and an unsigned low 32-bit half.
  private static final RedisScript PUT = new RedisScript(
      "local function cmp(s, a, t, b)",
      "  local x, y = struct.unpack('>i4', s, a), struct.unpack('>i4', t, b)",
      "  if x == y then x, y = struct.unpack('>I4', s, a + 4), struct.unpack('>I4', t, b + 4) end",
      "  if x < y then return -1 elseif x > y then return 1 else return 0 end",
      "end",
      "local new = ARGV[1]",
      "if struct.unpack('>i8', new, 26) > 0 then",
      "  local cur = redis.pcall('GET', KEYS[1])",
      "  if type(cur) == 'string' and #cur >= 33 and string.byte(cur, 1) == 161",
      "      and cmp(cur, 10, cur, 2) >= 0 and struct.unpack('>i4', cur, 18) >= 0",
      "      and struct.unpack('>i4', cur, 26) >= 0 and cmp(cur, 26, new, 26) > 0",
      "      and redis.call('PTTL', KEYS[1]) > 0 then",
      "    return 0",
      "  end",
      "end",
      "redis.call('SET', KEYS[1], new, 'PX', ARGV[2])",
      "return 1");

  private final RedisKeys<K> keys;
  private final ValueCodec<V> codec;
  private final Ticker ticker;
  private final long retainNanos;
  private final RedisConnection connection;

  private RedisStore(Builder<K, V> b) {
    this.keys = b.keys;
    this.codec = b.codec;
    this.ticker = b.ticker;
    this.retainNanos = b.retention.toNanos();
    if (retainNanos < 0) {
      throw new IllegalArgumentException("retention < 0: " + b.retention);
    }
    this.connection = RedisConnection.open(b.client);
    PUT.load(connection.sync);
  }

  /**
   * A store on {@code client} (not closed by the store), naming keys by {@code keys} and encoding values by
   * {@code values}.
   */
  public static <K, V> Builder<K, V> builder(RedisClient client, RedisKeys<K> keys, ValueCodec<V> values) {
    return new Builder<>(client, keys, values);
  }

  /**
   * A store on a Redis Cluster through {@code client} (not closed by the store). Every name of a key carries the key's
   * hash tag ({@link RedisKeys}), so an entry, its lease, its fencing counter and its script live in one slot.
   */
  public static <K, V> Builder<K, V> builder(RedisClusterClient client, RedisKeys<K> keys, ValueCodec<V> values) {
    return new Builder<>(client, keys, values);
  }

  /**
   * A client that fails fast: commands time out after {@code timeout}, are rejected at once while disconnected, and
   * a lost connection is retried in the background at most {@link #MAX_RECONNECT_DELAY} apart, so caching resumes
   * within that delay plus one connect after Redis is back. Shut it down when done: it owns its resources.
   */
  public static RedisClient client(String uri, Duration timeout) {
    return RedisClients.single(uri, timeout, MAX_RECONNECT_DELAY);
  }

  /** {@link #client(String, Duration)} with another bound on the delay between reconnect attempts. */
  public static RedisClient client(String uri, Duration timeout, Duration maxReconnectDelay) {
    return RedisClients.single(uri, timeout, maxReconnectDelay);
  }

  /**
   * A fail-fast client to a Redis Cluster, seeded by any of its nodes: as {@link #client(String, Duration)}, and it
   * follows the cluster's topology (a failover included) from {@code MOVED} redirects, from persistent reconnects to
   * a node that is gone, and at least every 10 s. Shut it down when done.
   */
  public static RedisClusterClient clusterClient(Iterable<RedisURI> seeds, Duration timeout) {
    return RedisClients.cluster(seeds, timeout, MAX_RECONNECT_DELAY);
  }

  @Override
  public @Nullable Entry<V> get(K key) {
    String name = keys.entry(key);
    byte[] raw;
    try {
      raw = connection.sync.get(name);
    } catch (RedisCommandExecutionException e) {
      if (String.valueOf(e.getMessage()).startsWith("WRONGTYPE")) {
        throw new CorruptEntryException("key '" + name + "' does not hold a stampede entry (not a string)", e);
      }
      throw new StoreException("Redis GET of '" + name + "' failed: " + e.getMessage(), e);
    } catch (RedisException e) {
      throw failure(key, "Redis GET of '" + name + "'", e);
    }
    return raw == null ? null : decode(name, raw);
  }

  /**
   * {@inheritDoc}
   *
   * @throws CorruptEntryException if the codec cannot encode the value (nothing is sent, nothing written)
   */
  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(entry, "entry");
    String name = keys.entry(key);
    byte[] bytes;
    try {
      bytes = encode(entry);
    } catch (RuntimeException e) { // before any command: nothing is written, and it is no Redis failure
      throw new CorruptEntryException("value of key '" + name + "' cannot be encoded: " + e.getMessage()
          + "; not written", e);
    }
    long retainMillis = Math.max(1,
        TimeUnit.NANOSECONDS.toMillis(entry.expireTime() + retainNanos - ticker.read()) + 1);
    try {
      Long written = PUT.run(connection.sync, ScriptOutputType.INTEGER, new String[] {name}, bytes,
          ascii(retainMillis));
      return written == 1L;
    } catch (RedisException e) {
      throw failure(key, "Redis write of '" + name + "'", e);
    }
  }

  @Override
  public void invalidate(K key) {
    String name = keys.entry(key);
    try {
      connection.sync.del(name);
    } catch (RedisException e) {
      throw failure(key, "Redis DEL of '" + name + "'", e);
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

  /**
   * Closes the store's connection, waiting at most the command timeout (past it: a warning, and it goes on closing in
   * the background); the client stays open.
   */
  @Override
  public void close() {
    connection.close();
  }

  /**
   * What a failed command throws: the caller's interrupt as an {@link InterruptedLoadException} (interrupt status
   * set), anything else as a {@link StoreException}.
   */
  static RuntimeException failure(Object key, String command, RedisException e) {
    if (RedisConnection.isInterrupt(e)) {
      return InterruptedLoadException.of(key, "during " + command, e);
    }
    return new StoreException(command + " failed: " + e.getMessage(), e);
  }

  private byte[] encode(Entry<V> entry) {
    byte[] value = codec.encode(entry.value());
    if (value == null) {
      throw new IllegalArgumentException("the codec encoded null");
    }
    byte[] bytes = new byte[HEADER + value.length];
    bytes[0] = MAGIC;
    LONGS.set(bytes, 1, entry.writeTime());
    LONGS.set(bytes, 9, entry.expireTime());
    LONGS.set(bytes, 17, entry.loadNanos());
    LONGS.set(bytes, 25, entry.fence());
    System.arraycopy(value, 0, bytes, HEADER, value.length);
    return bytes;
  }

  private Entry<V> decode(String name, byte[] raw) {
    if (raw.length < HEADER || raw[0] != MAGIC) {
      throw new CorruptEntryException("key '" + name + "' does not hold a stampede entry (" + raw.length
          + " bytes, " + (raw.length == 0 ? "empty" : String.format("first byte 0x%02X", raw[0])) + ")", null);
    }
    try {
      V value = codec.decode(raw, HEADER, raw.length - HEADER);
      if (value == null) {
        throw new IllegalArgumentException("the codec decoded null");
      }
      return new Entry<>(value, (long) LONGS.get(raw, 1), (long) LONGS.get(raw, 9), (long) LONGS.get(raw, 17),
          (long) LONGS.get(raw, 25));
    } catch (Exception e) {
      throw new CorruptEntryException("corrupt entry at '" + name + "': " + e.getMessage(), e);
    }
  }

  static byte[] ascii(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /** Settings of a {@link RedisStore}, with their defaults. */
  public static final class Builder<K, V> {
    private final AbstractRedisClient client;
    private final RedisKeys<K> keys;
    private final ValueCodec<V> codec;
    private Ticker ticker = Ticker.wall();
    private Duration retention = Duration.ofMinutes(1);

    private Builder(AbstractRedisClient client, RedisKeys<K> keys, ValueCodec<V> codec) {
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
