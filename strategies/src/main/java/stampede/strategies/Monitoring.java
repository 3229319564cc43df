package stampede.strategies;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import stampede.core.Alerts;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.Ticker;

/**
 * Stampede monitoring: a {@link Metrics} that forwards every event to {@code downstream} and raises the three
 * {@link Alerts} of a stampede. <b>Hit ratio low:</b> over the last complete hit-ratio window, at least
 * {@code minRequests} requests and hits / (hits + misses) below {@code threshold}. <b>Miss storm:</b> a key took
 * {@code missStormThreshold} misses in this storm window or the last; the first time in a window it records
 * {@link Event#MISS_STORM} downstream and calls {@code alert}. <b>Pool exhausted:</b> loads in flight reached
 * {@code alertAt} x {@code poolSize} (the database connections the loads share).
 *
 * <p><b>Prevents:</b> nothing by itself: it makes stampedes visible. A storm alert and {@link #topStorms} name the
 * keys, so you know where to add {@code SingleFlight}, a lock or early refresh, or that one you have is not working;
 * the pool alert shows loads taking the connections before other queries queue for them.
 *
 * <p><b>Pick it when</b> you run any strategy in production: pass it as the metrics of the read path and its fills,
 * e.g. {@code CacheAside.builder(store, fill).metrics(Monitoring.builder(counters).build())}; read the alerts or
 * export them ({@code stampede-micrometer} binds them as gauges).
 *
 * <p><b>Costs:</b> a {@link LongAdder} per hit, per miss, per load start and end; for a miss, a clock read, a
 * map lookup and a {@code synchronized} counter update; at most {@code maxTrackedKeys} counters plus one per caller
 * adding a key (beyond, a miss that adds a key first drops the coldest of 8 sampled keys: bounded work, never a sort
 * of all keys, waiting only while 4 other misses drop theirs; a storm among more distinct missing keys may be seen
 * late). Reading the storm alert passes
 * over them. Window edges are approximate under concurrency, and a hit reads no clock: a hit-ratio window closes at
 * the first miss or alert read after its end, and the hits counted until then count in it. That is exact when misses
 * are frequent, which is when the ratio is low; with rare misses it can only raise the ratio a little, and with none
 * in a whole window that window has no ratio (never "low"). The alert callback runs on the caller's thread; if it
 * throws, the exception is dropped (a request must not fail because of its monitoring). Counts are per process, as a
 * connection pool is; windows are measured on a monotonic {@link Ticker}.
 *
 * <p><b>Source:</b> FusionCache's and sturdyc's event counters; Nishtala et al., "Scaling Memcache at Facebook",
 * NSDI 2013 (the database query rate on herd-prone keys); Beyer et al., "Site Reliability Engineering" (O'Reilly
 * 2016), chapter 6, "Monitoring Distributed Systems" (symptoms, and saturation of the constrained resource).
 *
 * <p><b>Copy with it:</b> Alerts.java, CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class Monitoring implements Metrics, Alerts {
  /** {@code misses} misses of {@code key} within one {@code window}. */
  public record MissStorm(Object key, long misses, Duration window) { }

  private final Ticker ticker;
  private final Metrics downstream;
  private final Duration window;
  private final long windowNanos;
  private final int missStormThreshold;
  private final int maxTrackedKeys;
  private final Consumer<MissStorm> alert;
  private final long ratioWindowNanos;
  private final double threshold;
  private final long minRequests;
  private final int poolSize;
  private final long poolAlert;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder inFlight = new LongAdder();
  private final ConcurrentHashMap<Object, Misses> perKey = new ConcurrentHashMap<>();
  private final AtomicInteger tracked = new AtomicInteger(); // reserved before a key is added: never below the size
  private static final int SAMPLE = 8; // keys sampled to find a cold one, in at most ROUNDS samples per miss
  private static final int ROUNDS = 4;
  private static final int CURSORS = 4; // evictions that can run at once
  private final List<Cursor> cursors = List.of(new Cursor(), new Cursor(), new Cursor(), new Cursor());
  private volatile long ratioWindow; // the window hits and misses count in; the rest is guarded by this
  private long startHits;
  private long startMisses;
  private long lastHits;
  private long lastMisses;

  private Monitoring(Builder b) {
    this.ticker = b.ticker;
    this.downstream = b.downstream;
    this.window = b.window;
    this.alert = b.alert;
    this.windowNanos = nanos("missStorm window", window, Long.MAX_VALUE);
    this.missStormThreshold = b.missStormThreshold;
    this.maxTrackedKeys = b.maxTrackedKeys;
    this.ratioWindowNanos = nanos("hitRatio window", b.ratioWindow, Long.MAX_VALUE);
    this.threshold = b.threshold;
    this.minRequests = b.minRequests;
    this.poolSize = b.poolSize;
    check(missStormThreshold >= 1, "missStorm misses must be at least 1: " + missStormThreshold);
    check(maxTrackedKeys >= 1, "maxTrackedKeys must be at least 1: " + maxTrackedKeys);
    check(threshold > 0 && threshold <= 1, "hitRatio threshold must be in (0, 1]: " + threshold);
    check(minRequests >= 1, "hitRatio minRequests must be at least 1: " + minRequests);
    check(poolSize >= 0, "databasePool size must be at least 0: " + poolSize);
    check(b.alertAt > 0 && b.alertAt <= 1, "databasePool alertAt must be in (0, 1]: " + b.alertAt);
    this.poolAlert = (long) Math.ceil(b.poolSize * b.alertAt);
    this.ratioWindow = Math.floorDiv(ticker.read(), ratioWindowNanos);
  }

  /** An error naming the setting, unless {@code ok}. */
  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** {@code d} in nanoseconds if positive and at most {@code max} nanoseconds; else an error naming {@code setting}. */
  private static long nanos(String setting, Duration d, long max) {
    long years = max / 31_556_952_000_000_000L; // 292 for Long.MAX_VALUE nanoseconds
    check(!d.isNegative() && !d.isZero() && d.compareTo(Duration.ofNanos(max)) <= 0,
        setting + " must be positive and at most " + years + " years: " + d);
    return d.toNanos();
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
    switch (event) {
      case HIT -> hits.increment(); // no clock: the next miss or alert read closes the window
      case MISS -> {
        long now = ticker.read();
        long w = Math.floorDiv(now, ratioWindowNanos);
        if (w != ratioWindow) {
          roll(w);
        }
        misses.increment();
        if (key != null) {
          countMiss(key, Math.floorDiv(now, windowNanos));
        }
      }
      case LOAD_STARTED -> inFlight.increment();
      case LOAD_SUCCEEDED, LOAD_FAILED -> inFlight.decrement();
      default -> { }
    }
  }

  /** Hits / (hits + misses) since creation, or NaN before any request. */
  public double hitRatio() {
    long h = hits.sum();
    long total = h + misses.sum();
    return total == 0 ? Double.NaN : (double) h / total;
  }

  @Override
  public synchronized double windowHitRatio() {
    roll(Math.floorDiv(ticker.read(), ratioWindowNanos));
    return lastHits + lastMisses == 0 ? Double.NaN : (double) lastHits / (lastHits + lastMisses);
  }

  @Override
  public synchronized boolean hitRatioLow() {
    return windowHitRatio() < threshold && lastHits + lastMisses >= minRequests; // NaN < threshold is false
  }

  @Override
  public int stormingKeys() {
    return (int) storms().count();
  }

  /** Up to {@code n} keys storming in this or the last window, most misses (in either) first. */
  public List<MissStorm> topStorms(int n) {
    return storms().sorted(Map.Entry.<Object, Integer>comparingByValue().reversed()).limit(n)
        .map(e -> new MissStorm(e.getKey(), e.getValue(), window)).toList();
  }

  @Override
  public long loadsInFlight() {
    return inFlight.sum();
  }

  @Override
  public int poolSize() {
    return poolSize;
  }

  @Override
  public boolean poolExhausted() {
    return poolSize > 0 && inFlight.sum() >= poolAlert;
  }

  /** Misses of {@code key} in the current window (0 if none, or if the key is no longer tracked). */
  public long misses(Object key) {
    Misses m = perKey.get(key);
    return m == null ? 0 : m.add(stormWindow(), 0);
  }

  /** Number of keys whose misses are tracked: at most {@code maxTrackedKeys} plus one per caller adding a key. */
  public int trackedKeys() {
    return tracked.get();
  }

  /** Closes the hit-ratio window if {@code w} is a later one: the last window's counts are what it counted. */
  private synchronized void roll(long w) {
    if (w > ratioWindow) {
      long h = hits.sum();
      long m = misses.sum();
      lastHits = w == ratioWindow + 1 ? h - startHits : 0; // windows with no request in between: none last
      lastMisses = w == ratioWindow + 1 ? m - startMisses : 0;
      startHits = h;
      startMisses = m;
      ratioWindow = w;
    }
  }

  private void countMiss(Object key, long w) {
    Misses m = perKey.get(key);
    int n = (m != null ? m : track(key, w)).add(w, 1);
    if (n == missStormThreshold) { // exactly one caller per key and window sees the count reach it
      downstream.record(Event.MISS_STORM, key);
      try {
        alert.accept(new MissStorm(key, n, window));
      } catch (RuntimeException e) {
        // dropped: see Costs
      }
    }
  }

  /** Tracks a key's first miss: a caller that adds a key over the bound drops one before it goes on. */
  private Misses track(Object key, long w) {
    int reserved = tracked.incrementAndGet();
    Misses mine = new Misses();
    Misses seen = perKey.putIfAbsent(key, mine);
    if (seen != null) {
      tracked.decrementAndGet(); // another caller added it
      return seen;
    }
    if (reserved > maxTrackedKeys) {
      evictCold(mine, w);
    }
    return mine;
  }

  /**
   * Keeps the bound with bounded work on the request thread: drops the coldest (fewest misses in this or the last
   * window) of the next {@link #SAMPLE} tracked keys but {@code keep} on a cursor over the map (as Redis samples keys
   * for its approximated LRU); while over the bound, up to 2 keys in {@link #ROUNDS} samples. The caller takes a free
   * one of {@link #CURSORS} cursors and waits only if all are taken (by callers doing this same bounded work); a key
   * another cursor dropped first is not a failure, the next coldest of the sample goes instead. So every caller that
   * adds a key over the bound takes one out: at most {@code maxTrackedKeys} plus the callers in flight.
   */
  private void evictCold(Misses keep, long w) {
    Cursor cursor = cursor();
    try {
      int dropped = 0;
      for (int round = 0; round < ROUNDS && dropped < 2 && tracked.get() > maxTrackedKeys; round++) {
        List<Map.Entry<Object, Misses>> sample = cursor.sample(perKey, keep);
        sample.sort(Comparator.comparingLong(e -> e.getValue().peak(w))); // coldest first (8: an insertion sort)
        for (Map.Entry<Object, Misses> e : sample) {
          if (perKey.remove(e.getKey(), e.getValue())) {
            tracked.decrementAndGet();
            dropped++;
            break;
          } // else another cursor dropped it first: the next coldest goes
        }
      }
    } finally {
      cursor.unlock();
    }
  }

  /** A free cursor, tried from a random one; if all are taken, waits for one. */
  private Cursor cursor() {
    int start = ThreadLocalRandom.current().nextInt(CURSORS);
    for (int i = 0; i < CURSORS; i++) {
      Cursor c = cursors.get((start + i) % CURSORS);
      if (c.tryLock()) {
        return c;
      }
    }
    Cursor c = cursors.get(start);
    c.lock();
    return c;
  }

  /** Where an eviction samples the tracked keys next; its lock guards it. */
  private static final class Cursor extends ReentrantLock {
    private final List<Map.Entry<Object, Misses>> sample = new ArrayList<>(SAMPLE);
    private @Nullable Iterator<Map.Entry<Object, Misses>> at;

    /** The next {@link #SAMPLE} entries but {@code keep}, from the start again after the last. */
    List<Map.Entry<Object, Misses>> sample(Map<Object, Misses> map, Misses keep) {
      sample.clear();
      for (int seen = 0; sample.size() < SAMPLE && seen <= SAMPLE; seen++) {
        if (at == null || !at.hasNext()) {
          at = map.entrySet().iterator();
          if (!at.hasNext()) {
            break;
          }
        }
        Map.Entry<Object, Misses> e = at.next();
        if (e.getValue() != keep) {
          sample.add(e);
        }
      }
      return sample;
    }
  }

  private long stormWindow() {
    return Math.floorDiv(ticker.read(), windowNanos);
  }

  /** Each tracked key with its most misses in this or the last window. */
  private Stream<Map.Entry<Object, Integer>> peaks() {
    long w = stormWindow();
    return perKey.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().peak(w)));
  }

  private Stream<Map.Entry<Object, Integer>> storms() {
    return peaks().filter(e -> e.getValue() >= missStormThreshold);
  }

  /** Misses of one key in one window, and in the window before it. */
  private static final class Misses {
    private long window;
    private int count;
    private int last;

    /** Adds {@code n} misses in window {@code w}; returns the count in that window. */
    synchronized int add(long w, int n) {
      if (w != window) {
        last = w == window + 1 ? count : 0;
        window = w;
        count = 0;
      }
      count += n;
      return count;
    }

    synchronized int peak(long w) {
      return Math.max(add(w, 0), last);
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
    private double threshold = 0.8;
    private Duration ratioWindow = Duration.ofMinutes(1);
    private long minRequests = 100;
    private int poolSize;
    private double alertAt = 1.0;

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

    /** The hit ratio is low below {@code threshold} over a {@code window} of {@code minRequests}; 0.8, 1 min, 100. */
    public Builder hitRatio(double threshold, Duration window, long minRequests) {
      this.threshold = threshold;
      this.ratioWindow = Objects.requireNonNull(window, "window");
      this.minRequests = minRequests;
      return this;
    }

    /** The loads' connection pool: exhausted at {@code alertAt} (0 to 1) x {@code size} in flight; default none. */
    public Builder databasePool(int size, double alertAt) {
      this.poolSize = size;
      this.alertAt = alertAt;
      return this;
    }

    public Monitoring build() {
      return new Monitoring(this);
    }
  }
}
