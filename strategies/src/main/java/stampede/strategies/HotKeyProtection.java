package stampede.strategies;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;

/**
 * Hot-key protection: counts requests per key over fixed windows; a key with {@code hotThreshold} requests in
 * the current or the last window is hot. Hot keys are written with {@code ttl x hotTtlMultiplier} and
 * refreshed in the background within {@code prewarmWindow} of expiry, so under load they never expire; cold
 * keys behave as cache-aside.
 *
 * <p><b>Prevents:</b> the costliest stampede, on the few keys that carry most of the traffic. Only hot keys
 * pay for early refreshes: the cost follows the skew, not the size of the key space.
 *
 * <p><b>Pick it when</b> traffic is skewed (Zipf-like: a home page, a flash sale); {@link #hottest} shows the
 * hot keys.
 *
 * <p><b>Costs:</b> a map lookup and a {@code synchronized} counter update per request; at most
 * {@code maxTrackedKeys} counters (beyond, the coldest quarter is dropped). One background load per hot key per
 * TTL, one in flight per key, skipped if a re-read finds it refreshed meanwhile; a failed refresh
 * ({@link Event#REFRESH_FAILED}) or one the executor refuses ({@link Event#REJECTED}) keeps the old value and the
 * next hit retries. Hot keys live longer, so invalidate them on writes. Hotness is per process.
 *
 * <p><b>Source:</b> sturdyc's early refreshes and Caffeine's {@code refreshAfterWrite} (ANCHORS.md); Facebook's
 * memcache hot-key handling; the common practice of a longer-lived, refreshed copy of detected hot keys.
 *
 * <p>Composition: {@code HotKeyProtection(StoreFill(Loader))}; it owns its fill, whose TTL depends on its counters.
 */
public final class HotKeyProtection<K, V> implements LoadingStrategy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Executor executor;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final long windowNanos;
  private final long prewarmNanos;
  private final int hotThreshold;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Rate> rates = new ConcurrentHashMap<>();
  private final Set<K> refreshing = ConcurrentHashMap.newKeySet();

  /**
   * @param ttl              TTL of cold keys
   * @param hotThreshold     requests within one {@code window} that make a key hot, at least 1
   * @param window           the counting window (ticker time)
   * @param hotTtlMultiplier hot keys are written with {@code ttl x hotTtlMultiplier}, at least 1
   * @param prewarmWindow    a hot key this close to expiry is refreshed in the background; below the hot TTL
   * @param maxTrackedKeys   bound on the per-key counters kept
   */
  public HotKeyProtection(CacheStore<K, V> store, Ticker ticker, Executor executor, Metrics metrics,
      Duration ttl, int hotThreshold, Duration window, double hotTtlMultiplier, Duration prewarmWindow,
      int maxTrackedKeys) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    long ttlNanos = ttl.toNanos();
    long hotTtlNanos = (long) (ttlNanos * hotTtlMultiplier);
    this.windowNanos = window.toNanos();
    this.prewarmNanos = prewarmWindow.toNanos();
    this.hotThreshold = hotThreshold;
    this.maxTrackedKeys = maxTrackedKeys;
    if (ttlNanos <= 0 || windowNanos <= 0 || hotThreshold < 1 || maxTrackedKeys < 1
        || !(hotTtlMultiplier >= 1 && hotTtlMultiplier <= 1e6) || prewarmNanos <= 0 || prewarmNanos >= hotTtlNanos) {
      throw new IllegalArgumentException("need ttl > 0, window > 0, hotThreshold >= 1, maxTrackedKeys >= 1, "
          + "1 <= hotTtlMultiplier <= 1e6, 0 < prewarmWindow < ttl x hotTtlMultiplier");
    }
    this.fill = new StoreFill<>(store, ticker, metrics, key -> isHot(key) ? hotTtlNanos : ttlNanos);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    boolean hot = count(key);
    Entry<V> entry = store.getOrMiss(key, metrics);
    long now = ticker.read();
    if (entry != null && entry.isFresh(now)) {
      metrics.record(Event.HIT, key);
      if (hot && entry.expireTime() - now <= prewarmNanos && refreshing.add(key)) {
        prewarm(key, entry, loader);
      }
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    return fill.fill(key, entry, 0, loader);
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

  private void prewarm(K key, Entry<V> seen, Loader<K, V> loader) {
    try {
      executor.execute(() -> {
        try {
          // Skip if refreshed meanwhile (the caller read the entry just before another pre-warm wrote it).
          Entry<V> current = store.getOrMiss(key, metrics);
          if (current != null && current.supersedes(seen) && current.expireTime() - ticker.read() > prewarmNanos) {
            return;
          }
          metrics.record(Event.REFRESH_STARTED, key);
          fill.fill(key, seen, 0, loader);
        } catch (RuntimeException e) {
          metrics.record(Event.REFRESH_FAILED, key);
        } finally {
          refreshing.remove(key);
        }
      });
    } catch (RejectedExecutionException e) {
      refreshing.remove(key);
      metrics.record(Event.REJECTED, key);
    }
  }

  /** Request counts of one key in the current window and the one before it. */
  private static final class Rate {
    private long window;
    private int current, previous;

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
}
