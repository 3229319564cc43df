package stampede.strategies;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Hot-key protection, a {@link CacheAside.Policy} and the {@link Ttl} of its fill: it counts requests per key over
 * fixed windows; a key with {@code hotThreshold} requests in the current or the last window is hot. Hot keys are
 * written with {@code ttl x hotTtlMultiplier} and refreshed in the background within {@code prewarmWindow} of
 * expiry, so under load they never expire; cold keys behave as cache-aside.
 *
 * <pre>
 *   HotKeyProtection&lt;K, V&gt; hot = HotKeyProtection.&lt;K, V&gt;builder(Duration.ofMinutes(1)).build();
 *   Fill&lt;K, V&gt; fill = SingleFlight.builder(store, new StoreFill&lt;&gt;(store, metrics, hot)).build();
 *   CacheAside.builder(store, fill).policy(hot, executor).build();
 * </pre>
 *
 * <p><b>Prevents:</b> the costliest stampede, on the few keys that carry most of the traffic. Only hot keys pay for
 * early refreshes: the cost follows the skew, not the size of the key space.
 *
 * <p><b>Pick it when</b> traffic is skewed (Zipf-like: a home page, a flash sale); {@link #hottest} shows the hot
 * keys.
 *
 * <p><b>Costs:</b> a map lookup and a {@code synchronized} counter update per request; at most
 * {@code maxTrackedKeys} counters (beyond, the coldest quarter is dropped). One background refresh per hot key per
 * TTL (see {@link CacheAside} for how refreshes run and fail). Hot keys live longer, so invalidate them on writes.
 * Hotness is per process, counted on a monotonic {@link Ticker}.
 *
 * <p><b>Source:</b> Nishtala et al., "Scaling Memcache at Facebook", NSDI 2013 (hot keys replicated and kept
 * warm); sturdyc's early refreshes; Caffeine's {@code refreshAfterWrite}.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java,
 * Fill.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class HotKeyProtection<K, V> implements CacheAside.Policy<K, V>, Ttl<K> {
  private final Metrics metrics;
  private final Ticker ticker;
  private final long ttlNanos;
  private final long hotTtlNanos;
  private final long windowNanos;
  private final long prewarmNanos;
  private final int hotThreshold;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Rate> rates = new ConcurrentHashMap<>();

  private HotKeyProtection(Builder<K, V> b) {
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.ttlNanos = b.ttl.toNanos();
    this.hotTtlNanos = (long) (ttlNanos * b.hotTtlMultiplier);
    this.windowNanos = b.window.toNanos();
    this.prewarmNanos = (b.prewarmWindow != null ? b.prewarmWindow : b.ttl.dividedBy(4)).toNanos();
    this.hotThreshold = b.hotThreshold;
    this.maxTrackedKeys = b.maxTrackedKeys;
    if (ttlNanos <= 0 || windowNanos <= 0 || hotThreshold < 1 || maxTrackedKeys < 1
        || !(b.hotTtlMultiplier >= 1 && b.hotTtlMultiplier <= 1e6) || prewarmNanos <= 0
        || prewarmNanos >= hotTtlNanos) {
      throw new IllegalArgumentException("need ttl > 0, window > 0, hotThreshold >= 1, maxTrackedKeys >= 1, "
          + "1 <= hotTtlMultiplier <= 1e6, 0 < prewarmWindow < ttl x hotTtlMultiplier");
    }
  }

  /** Cold keys live {@code ttl}. */
  public static <K, V> Builder<K, V> builder(Duration ttl) {
    return new Builder<>(ttl);
  }

  @Override
  public CacheAside.Action decide(K key, Entry<V> entry, long now) {
    boolean hot = count(key);
    if (entry == null || !entry.isFresh(now)) {
      return CacheAside.Action.LOAD;
    }
    return hot && entry.expireTime() - now <= prewarmNanos ? CacheAside.Action.HIT_AND_REFRESH
        : CacheAside.Action.HIT;
  }

  /** The TTL of a value loaded now: longer for a hot key. */
  @Override
  public long nanos(K key) {
    return isHot(key) ? hotTtlNanos : ttlNanos;
  }

  /** True if {@code key} had at least {@code hotThreshold} requests in the current or the last window. */
  public boolean isHot(K key) {
    Rate rate = rates.get(key);
    return rate != null && hot(rate.add(window(), 0));
  }

  /** Up to {@code n} keys seen in this or the last window, busiest first (this window, then the last). */
  public List<K> hottest(int n) {
    return scored().filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<K, Long>comparingByValue().reversed()).limit(n).map(Map.Entry::getKey).toList();
  }

  /** Number of keys whose request rate is tracked (at most {@code maxTrackedKeys} plus concurrent callers). */
  public int trackedKeys() {
    return rates.size();
  }

  /** Counts a request; returns whether the key is hot, recording {@link Event#HOT_KEY} when it turns hot. */
  private boolean count(K key) {
    long score = rates.computeIfAbsent(key, k -> new Rate()).add(window(), 1);
    if (score >>> 32 == hotThreshold && (int) score < hotThreshold) { // turned hot: was cold in the last window
      metrics.record(Event.HOT_KEY, key);
    }
    if (rates.size() > maxTrackedKeys) {
      synchronized (rates) { // one sweep at a time; a sweep frees a quarter of the keys, so sweeps are rare
        if (rates.size() > maxTrackedKeys) {
          scored().sorted(Map.Entry.comparingByValue()).limit(rates.size() - (maxTrackedKeys - maxTrackedKeys / 4))
              .map(Map.Entry::getKey).toList().forEach(rates::remove);
        }
      }
    }
    return hot(score);
  }

  private boolean hot(long score) {
    return score >>> 32 >= hotThreshold || (int) score >= hotThreshold;
  }

  private long window() {
    return Math.floorDiv(ticker.read(), windowNanos);
  }

  private Stream<Map.Entry<K, Long>> scored() {
    long w = window();
    return rates.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().add(w, 0)));
  }

  /** Request counts of one key in the current window and the one before it. */
  private static final class Rate {
    private long window;
    private int current;
    private int previous;

    /** Adds {@code n} requests in window {@code w}; returns the current count << 32 | the last window's. */
    synchronized long add(long w, int n) {
      if (w != window) {
        previous = w == window + 1 ? current : 0;
        current = 0;
        window = w;
      }
      current += n;
      return (long) current << 32 | previous;
    }
  }

  /** Settings of a {@link HotKeyProtection}, with their defaults. */
  public static final class Builder<K, V> {
    private final Duration ttl;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private int hotThreshold = 100;
    private Duration window = Duration.ofSeconds(1);
    private double hotTtlMultiplier = 4;
    private Duration prewarmWindow;
    private int maxTrackedKeys = 10_000;

    private Builder(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl, "ttl");
    }

    /** Receives {@link Event#HOT_KEY}; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of the counting windows, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** A key with {@code requests} (at least 1) within one {@code window} is hot; default 100 per second. */
    public Builder<K, V> hotAt(int requests, Duration window) {
      this.hotThreshold = requests;
      this.window = Objects.requireNonNull(window, "window");
      return this;
    }

    /** Hot keys live {@code ttl x multiplier} (1 to 1e6); default 4. */
    public Builder<K, V> hotTtlMultiplier(double multiplier) {
      this.hotTtlMultiplier = multiplier;
      return this;
    }

    /** A hot key this close to expiry is refreshed, below the hot TTL; default a quarter of {@code ttl}. */
    public Builder<K, V> prewarmWindow(Duration prewarmWindow) {
      this.prewarmWindow = Objects.requireNonNull(prewarmWindow, "prewarmWindow");
      return this;
    }

    /** Bound on the per-key counters kept; default 10,000. */
    public Builder<K, V> maxTrackedKeys(int maxTrackedKeys) {
      this.maxTrackedKeys = maxTrackedKeys;
      return this;
    }

    public HotKeyProtection<K, V> build() {
      return new HotKeyProtection<>(this);
    }
  }
}
