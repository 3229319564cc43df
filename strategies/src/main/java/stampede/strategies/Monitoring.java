package stampede.strategies;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Ticker;

/**
 * Stampede monitoring: a {@link Metrics} that forwards every event to {@code downstream} and watches for
 * miss storms. It counts hits and misses (the hit ratio), and each key's misses over fixed windows of
 * {@code window}; when one key takes {@code missStormThreshold} misses within a window it records
 * {@link Event#MISS_STORM} downstream and calls {@code alert} with a {@link MissStorm}, once per key per window.
 *
 * <p><b>Prevents:</b> nothing by itself: it makes stampedes visible. A miss storm is a stampede in progress
 * (many callers missing one key at once); the alert names the key, so you know where to add
 * {@code SingleFlight}, a lock or early refresh, or that one you have is not working.
 *
 * <p><b>Pick it when</b> you run any strategy in production: pass it as the metrics of the read path and its fills,
 * e.g. {@code CacheAside.builder(store, fill).metrics(Monitoring.builder(counters).build())}.
 *
 * <p><b>Costs:</b> two {@link LongAdder}s, and for a miss a map lookup and a {@code synchronized} counter
 * update; at most {@code maxTrackedKeys} counters (beyond, the coldest quarter is dropped, so a storm that
 * starts among more distinct missing keys than that may be seen late). The alert runs on the caller's
 * thread, so keep it quick; if it throws, the exception is dropped, as a request must not fail because of
 * its monitoring. Counts are per process; windows are measured on a monotonic {@link Ticker}.
 *
 * <p><b>Source:</b> FusionCache's and sturdyc's event counters (sturdyc counts stale values served); Nishtala et
 * al., "Scaling Memcache at Facebook", NSDI 2013 (the database query rate on herd-prone keys); Beyer et al., "Site
 * Reliability Engineering" (O'Reilly 2016), chapter 6, "Monitoring Distributed Systems".
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java,
 * Fill.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class Monitoring implements Metrics {
  /** {@code misses} misses of {@code key} within one {@code window}. */
  public record MissStorm(Object key, long misses, Duration window) { }

  private final Ticker ticker;
  private final Metrics downstream;
  private final Duration window;
  private final long windowNanos;
  private final int missStormThreshold;
  private final int maxTrackedKeys;
  private final Consumer<MissStorm> alert;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final ConcurrentHashMap<Object, Misses> perKey = new ConcurrentHashMap<>();

  private Monitoring(Builder b) {
    this.ticker = b.ticker;
    this.downstream = b.downstream;
    this.window = b.window;
    this.alert = b.alert;
    this.windowNanos = window.toNanos();
    this.missStormThreshold = b.missStormThreshold;
    this.maxTrackedKeys = b.maxTrackedKeys;
    if (windowNanos <= 0 || missStormThreshold < 1 || maxTrackedKeys < 1) {
      throw new IllegalArgumentException("need window > 0, missStormThreshold >= 1, maxTrackedKeys >= 1: "
          + window + ", " + missStormThreshold + ", " + maxTrackedKeys);
    }
  }

  /** Forwards every event to {@code downstream} (e.g. {@code Counters}), and {@link Event#MISS_STORM}. */
  public static Builder builder(Metrics downstream) {
    return new Builder(downstream);
  }

  @Override
  public void record(Event event, Object key) {
    downstream.record(event, key);
    observe(event, key);
  }

  /** Forwards the event with its duration (a load's), so a downstream that times loads still gets it. */
  @Override
  public void record(Event event, Object key, long nanos) {
    downstream.record(event, key, nanos);
    observe(event, key);
  }

  private void observe(Event event, Object key) {
    if (event == Event.HIT) {
      hits.increment();
    } else if (event == Event.MISS) {
      misses.increment();
      if (key != null) {
        countMiss(key);
      }
    }
  }

  /** Hits / (hits + misses) since creation, or NaN before any request. */
  public double hitRatio() {
    long h = hits.sum();
    long total = h + misses.sum();
    return total == 0 ? Double.NaN : (double) h / total;
  }

  /** Misses of {@code key} in the current window (0 if none, or if the key is no longer tracked). */
  public long misses(Object key) {
    Misses m = perKey.get(key);
    return m == null ? 0 : m.add(window(), 0);
  }

  /** Number of keys whose misses are tracked (at most {@code maxTrackedKeys} plus concurrent callers). */
  public int trackedKeys() {
    return perKey.size();
  }

  private void countMiss(Object key) {
    long w = window();
    int n = perKey.computeIfAbsent(key, k -> new Misses()).add(w, 1);
    if (perKey.size() > maxTrackedKeys) {
      synchronized (perKey) { // one sweep at a time; a sweep frees a quarter of the keys, so sweeps are rare
        if (perKey.size() > maxTrackedKeys) {
          perKey.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().add(w, 0)))
              .sorted(Map.Entry.comparingByValue()).limit(perKey.size() - (maxTrackedKeys - maxTrackedKeys / 4))
              .map(Map.Entry::getKey).toList().forEach(perKey::remove);
        }
      }
    }
    if (n == missStormThreshold) { // exactly one caller per key and window sees the count reach it
      downstream.record(Event.MISS_STORM, key);
      try {
        alert.accept(new MissStorm(key, n, window));
      } catch (RuntimeException e) {
        // dropped: see Costs
      }
    }
  }

  private long window() {
    return Math.floorDiv(ticker.read(), windowNanos);
  }

  /** Misses of one key in one window. */
  private static final class Misses {
    private long window;
    private int count;

    /** Adds {@code n} misses in window {@code w}; returns the count in that window. */
    synchronized int add(long w, int n) {
      if (w != window) {
        window = w;
        count = 0;
      }
      count += n;
      return count;
    }
  }

  /** Settings of a {@link Monitoring}, with their defaults. */
  public static final class Builder {
    private final Metrics downstream;
    private Ticker ticker = Ticker.system();
    private Duration window = Duration.ofSeconds(1);
    private int missStormThreshold = 100;
    private int maxTrackedKeys = 10_000;
    private Consumer<MissStorm> alert = storm -> { };

    private Builder(Metrics downstream) {
      this.downstream = Objects.requireNonNull(downstream, "downstream");
    }

    /** The clock of the windows, monotonic; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** {@code misses} (at least 1) of one key within one {@code window} make a storm; default 100 per second. */
    public Builder missStorm(int misses, Duration window) {
      this.missStormThreshold = misses;
      this.window = Objects.requireNonNull(window, "window");
      return this;
    }

    /** Bound on the per-key counters kept; default 10,000. */
    public Builder maxTrackedKeys(int maxTrackedKeys) {
      this.maxTrackedKeys = maxTrackedKeys;
      return this;
    }

    /** Called once per key per window with a storm; default nothing (the event still goes downstream). */
    public Builder alert(Consumer<MissStorm> alert) {
      this.alert = Objects.requireNonNull(alert, "alert");
      return this;
    }

    public Monitoring build() {
      return new Monitoring(this);
    }
  }
}
