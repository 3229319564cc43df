package stampede.nearcache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisStore;

/**
 * A near cache, a {@link CacheStore} decorator: a bounded Caffeine L1 of decoded entries in front of a Redis store,
 * kept coherent by Redis server-assisted client-side caching ({@code CLIENT TRACKING on BCAST PREFIX <prefix>} on a
 * RESP3 connection of its own, per master on a cluster): a write or delete of a key by any node sends this node an
 * {@code invalidate} push message, which drops the key from L1. Entries keep their own write and expiry times:
 * freshness stays the read path's decision. L1 serves fresh entries only: a stale one is read from Redis again
 * (where its refresh may be already), so a strategy's double-check after a lock wait sees the new value as soon as
 * Redis has it. Writes go to the store, then drop the local copy.
 *
 * <p><b>Prevents:</b> one Redis round trip per hit on a hot key (the hot key overloading its Redis shard).
 * <b>Staleness bound:</b> a value written on one node is never served by another more than {@code maxAge} after the
 * write (an L1 copy lives at most {@code maxAge} after the read that filled it began); usually for the invalidation
 * latency only. The read/invalidate race is closed: a key is marked before the store read, an invalidation drops
 * the mark, and L1 is filled only if the mark survived. A disconnect of a tracking connection flushes L1 and stops
 * fills until tracking is enabled again on the new connection.
 *
 * <p><b>Pick it when</b> a few keys are read far more often than written, by several nodes, and a stale read of up
 * to {@code maxAge} after a write is acceptable. Not for values that must be read-your-writes across nodes.
 *
 * <p><b>Costs:</b> L1 memory (maximumSize x value size), one connection per Redis master, and one push message per
 * write of any key under the prefix (broadcasting mode: also keys this node never read, leases included).
 *
 * <p><b>Source:</b> the Redis documentation, "Client-side caching in Redis" (tracking, broadcasting mode, the race
 * and its mark); Lettuce's {@code ClientSideCaching} / {@code CacheFrontend}; Redisson's {@code RLocalCachedMap}.
 *
 * <p><b>Copy with it:</b> ClientTracking.java (the connections), CacheStore.java, Entry.java, StoreException.java,
 * Ticker.java, and the stampede-redis module (RedisKeys.java, RedisStore.java and what they use).
 */
public final class NearCache<K, V> implements CacheStore<K, V>, AutoCloseable {
  /** The name of the tracking connections in {@code CLIENT LIST}. */
  public static final String CLIENT_NAME = "stampede-nearcache";
  static final StringCodec NAMES = StringCodec.UTF8;

  /** What a scenario reads: L1 hits and misses, fills, names invalidated by Redis, whole-L1 flushes. */
  public record Stats(long hits, long misses, long fills, long invalidations, long flushes) {
    public double hitRatio() {
      return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
    }
  }

  private record Cached<V>(Entry<V> entry, long markTime) { }

  private record Mark(long epoch, long time) { }

  private final CacheStore<K, V> store;
  private final RedisKeys<K> keys;
  private final Ticker clock;
  private final long maxAgeNanos;
  private final Predicate<? super K> admit;
  private final int admitAfter;
  private final Cache<String, Cached<V>> l1;
  private final Cache<String, AtomicInteger> reads;
  private final ConcurrentHashMap<String, Mark> marks = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder(), misses = new LongAdder(), fills = new LongAdder(),
      invalidations = new LongAdder(), flushes = new LongAdder();
  private final ClientTracking tracking;
  private volatile long epoch;
  private volatile boolean on;

  private NearCache(Builder<K, V> b) {
    this.store = b.store;
    this.keys = b.keys;
    this.clock = b.clock;
    this.maxAgeNanos = b.maxAge.toNanos();
    this.admit = b.admit;
    this.admitAfter = b.admitAfter;
    this.l1 = Caffeine.newBuilder().maximumSize(b.maximumSize).executor(b.executor).ticker(clock::read)
        .expireAfter(Expiry.<String, Cached<V>>writing((k, c) -> Duration.ofNanos(
            Math.max(0, c.markTime() + maxAgeNanos - clock.read())))).build();
    this.reads = admitAfter <= 1 ? null : Caffeine.newBuilder().maximumSize(4 * b.maximumSize)
        .executor(b.executor).ticker(clock::read).expireAfterWrite(b.window).<String, AtomicInteger>build();
    this.on = true; // a loss reported while connecting turns it off again
    this.tracking = new ClientTracking(b.client, keys.prefix(), new ClientTracking.Listener() {
      @Override
      public void invalidated(String name) {
        if (name == null) {
          flush();
        } else {
          invalidations.increment();
          drop(name);
        }
      }

      @Override
      public void lost() {
        on = false;
        flush();
      }

      @Override
      public void resumed() {
        flush();
        on = true;
      }
    });
  }

  /** A near cache in front of {@code store}, tracking through {@code client} (the store's; not closed here). */
  public static <K, V> Builder<K, V> builder(RedisStore<K, V> store, AbstractRedisClient client) {
    return new Builder<>(store, store.keys(), client);
  }

  /** The same in front of any store that names keys by {@code keys} in the Redis {@code client} reaches. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, RedisKeys<K> keys, AbstractRedisClient client) {
    return new Builder<>(store, keys, client);
  }

  @Override
  public Entry<V> get(K key) {
    return read(key, false, store.ticker().read());
  }

  @Override
  public Entry<V> get(K key, long now) {
    return read(key, true, now);
  }

  private Entry<V> read(K key, boolean timed, long now) {
    String name = keys.entry(key);
    Cached<V> cached = l1.getIfPresent(name);
    if (cached != null && cached.entry().isFresh(now)) { // a stale copy: Redis may hold its refresh already
      hits.increment();
      return cached.entry();
    }
    misses.increment();
    if (!on || !admit.test(key) || reads != null && reads.get(name, n -> new AtomicInteger()).incrementAndGet()
        < admitAfter) {
      return timed ? store.get(key, now) : store.get(key);
    }
    Mark mark = new Mark(epoch, clock.read());
    marks.put(name, mark); // before the read: an invalidation from here on drops it
    try {
      Entry<V> entry = timed ? store.get(key, now) : store.get(key);
      if (entry != null && entry.isFresh(now)) {
        marks.computeIfPresent(name, (n, m) -> { // atomic with the invalidation's remove of the mark
          if (m == mark && on && mark.epoch() == epoch) {
            l1.put(n, new Cached<>(entry, mark.time()));
            fills.increment();
          }
          return m == mark ? null : m;
        });
      }
      return entry;
    } finally {
      marks.remove(name, mark);
    }
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    String name = keys.entry(key);
    try {
      return store.put(key, entry);
    } finally {
      drop(name);
    }
  }

  @Override
  public void invalidate(K key) {
    String name = keys.entry(key);
    try {
      store.invalidate(key);
    } finally {
      drop(name);
    }
  }

  @Override
  public Ticker ticker() {
    return store.ticker();
  }

  /** The counters so far. */
  public Stats stats() {
    return new Stats(hits.sum(), misses.sum(), fills.sum(), invalidations.sum(), flushes.sum());
  }

  /** True while every tracking connection is tracking: L1 is filled only then. */
  public boolean isTracking() {
    return on;
  }

  /** Entries in L1 now (approximate). */
  public long size() {
    return l1.estimatedSize();
  }

  /** The CLIENT IDs of its tracking connections now, for tests. */
  java.util.List<Long> trackingIds() {
    return tracking.ids();
  }

  /** Stops tracking and empties L1; the store and the client stay open. */
  @Override
  public void close() {
    tracking.close();
  }

  private void drop(String name) {
    marks.remove(name);
    l1.invalidate(name);
  }

  private synchronized void flush() {
    epoch++;
    marks.clear();
    l1.invalidateAll();
    flushes.increment();
  }

  /** Settings, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final RedisKeys<K> keys;
    private final AbstractRedisClient client;
    private long maximumSize = 10_000;
    private Duration maxAge = Duration.ofSeconds(1);
    private Ticker clock = Ticker.system();
    private Executor executor = Runnable::run;
    private Predicate<? super K> admit = k -> true;
    private int admitAfter = 1;
    private Duration window = Duration.ofSeconds(1);

    private Builder(CacheStore<K, V> store, RedisKeys<K> keys, AbstractRedisClient client) {
      this.store = Objects.requireNonNull(store, "store");
      this.keys = Objects.requireNonNull(keys, "keys");
      this.client = Objects.requireNonNull(client, "client");
      if (!(client instanceof RedisClient || client instanceof RedisClusterClient)) {
        throw new IllegalArgumentException("client: a RedisClient or a RedisClusterClient, not "
            + client.getClass().getName());
      }
    }

    /** Most entries in L1; default 10,000. Memory: about this many values. */
    public Builder<K, V> maximumSize(long entries) {
      if (entries <= 0) {
        throw new IllegalArgumentException("maximumSize must be > 0: " + entries);
      }
      this.maximumSize = entries;
      return this;
    }

    /** Longest an L1 copy is served after the read that filled it began: the staleness bound; default 1 s. */
    public Builder<K, V> maxAge(Duration maxAge) {
      if (Objects.requireNonNull(maxAge, "maxAge").isNegative() || maxAge.isZero()) {
        throw new IllegalArgumentException("maxAge must be > 0: " + maxAge);
      }
      this.maxAge = maxAge;
      return this;
    }

    /** The monotonic clock of L1 ages; default {@link Ticker#system()} (a manual one in tests). */
    public Builder<K, V> clock(Ticker clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where Caffeine runs its maintenance; default the calling thread. */
    public Builder<K, V> executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Keeps in L1 only keys {@code admit} accepts (e.g. {@code HotKeyProtection::isHot}); default all. */
    public Builder<K, V> admitWhen(Predicate<? super K> admit) {
      this.admit = Objects.requireNonNull(admit, "admitWhen");
      return this;
    }

    /** Keeps a key in L1 only from its {@code reads}-th read within {@code window}; default from the first. */
    public Builder<K, V> admitAfter(int reads, Duration window) {
      if (reads < 1) {
        throw new IllegalArgumentException("admitAfter reads must be >= 1: " + reads);
      }
      if (Objects.requireNonNull(window, "admitAfter window").isNegative() || window.isZero()) {
        throw new IllegalArgumentException("admitAfter window must be > 0: " + window);
      }
      this.admitAfter = reads;
      this.window = window;
      return this;
    }

    /** Connects the tracking connection(s); a {@link StoreException} if Redis cannot be reached. */
    public NearCache<K, V> build() {
      return new NearCache<>(this);
    }
  }
}
