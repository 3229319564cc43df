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
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Hot-key protection, a {@link CacheAside.Policy} and the {@link Ttl} of its fill: it counts requests per key over
 * fixed windows; a key with {@code hotThreshold} requests in the current or the last window is hot. Hot keys are
 * written with {@code ttl x hotTtlMultiplier} and refreshed in the background within {@code prewarmWindow} of
 * expiry, so under load they never expire; cold keys behave as cache-aside.
 *
 * <pre>
 *   HotKeyProtection&lt;K, V&gt; hot = HotKeyProtection.&lt;K, V&gt;builder(Duration.ofMinutes(1))
 *       .ticker(store.ticker()).build();
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
 * <p><b>Costs:</b> per request a map lookup and an add to the key's {@link LongAdder}, no lock; once a key is hot in a
 * window nothing shared is summed for it, and once it has 64 times the threshold nothing is written for it, until the
 * next window (so {@link #hottest} ranks counts up to that cap). At most {@code maxTrackedKeys} counters plus one per
 * caller adding a key: a new key beyond them first drops the coldest of 8 sampled keys (bounded work, never a sort of
 * all keys, waiting only while 4 other new keys drop theirs), where a key hot in the last window counts as hot. One
 * background refresh per hot key per TTL (see {@link CacheAside} for how refreshes run and fail). Hot keys live longer,
 * so invalidate them on writes. Hotness is per process. Windows are counted on the store's clock, the one reading of
 * the read path ({@link CacheAside.Policy#decide}'s {@code now}): give the builder {@code store.ticker()}
 * ({@link Ticker#system()}, the default, is the in-process store's); on Redis that is the wall clock, so a step of it
 * ends a window early or late.
 *
 * <p><b>Source:</b> Nishtala et al., "Scaling Memcache at Facebook", NSDI 2013 (hot keys replicated and kept
 * warm); sturdyc's early refreshes; Caffeine's {@code refreshAfterWrite}.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class HotKeyProtection<K, V> implements CacheAside.Policy<K, V>, Ttl<K> {
  /** Keys sampled to find a cold one to drop, in at most ROUNDS samples per request over the bound. */
  private static final int SAMPLE = 8;
  private static final int ROUNDS = 4;
  /** Evictions that can run at once, each on its own cursor. */
  private static final int CURSORS = 4;
  /** The longest TTL: an expiry time ({@code now + ttl}) still fits in a long. About 146 years. */
  private static final long MAX_TTL = Long.MAX_VALUE / 2;

  private final Metrics metrics;
  private final Ticker ticker;
  private final long ttlNanos;
  private final long hotTtlNanos;
  private final long windowNanos;
  private final long prewarmNanos;
  private final int hotThreshold;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Rate> rates = new ConcurrentHashMap<>();
  /** Keys tracked, counted before a key is added: never below the map's size. */
  private final AtomicInteger tracked = new AtomicInteger();
  private final List<Cursor<K>> cursors = List.of(new Cursor<>(), new Cursor<>(), new Cursor<>(), new Cursor<>());
  /** The last counting window seen, so a request in it needs no division. */
  private volatile Window current = new Window(Long.MIN_VALUE, Long.MAX_VALUE);

  private HotKeyProtection(Builder<K, V> b) {
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.hotThreshold = b.hotThreshold;
    this.maxTrackedKeys = b.maxTrackedKeys;
    check(hotThreshold >= 1, "hotThreshold must be at least 1: " + hotThreshold);
    check(maxTrackedKeys >= 1, "maxTrackedKeys must be at least 1: " + maxTrackedKeys);
    double m = b.hotTtlMultiplier;
    check(m >= 1 && m <= 1e6, "hotTtlMultiplier must be in [1, 1e6]: " + m);
    this.ttlNanos = nanos("ttl", b.ttl, MAX_TTL);
    check(ttlNanos * m <= MAX_TTL, "ttl x hotTtlMultiplier must be at most 146 years, or a hot key's expiry time "
        + "overflows: " + b.ttl + " x " + m);
    this.hotTtlNanos = (long) (ttlNanos * m);
    this.windowNanos = nanos("window", b.window, Long.MAX_VALUE);
    this.prewarmNanos = b.prewarmWindow == null ? ttlNanos / 4 : nanos("prewarmWindow", b.prewarmWindow, MAX_TTL);
    check(prewarmNanos > 0 && prewarmNanos < hotTtlNanos, "prewarmWindow (default ttl / 4) must be positive and below "
        + "ttl x hotTtlMultiplier: " + Duration.ofNanos(prewarmNanos) + ", " + Duration.ofNanos(hotTtlNanos));
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

  /** Cold keys live {@code ttl}. */
  public static <K, V> Builder<K, V> builder(Duration ttl) {
    return new Builder<>(ttl);
  }

  @Override
  public CacheAside.Action decide(K key, @Nullable Entry<V> entry, long now) {
    boolean hot = count(key, window(now));
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
    return rate != null && rate.score(window(ticker.read())) >= hotThreshold;
  }

  /**
   * Up to {@code n} keys seen in this or the last window, busiest first: by their requests in this window, then in
   * the last (a hot key's count stops at about 64 times the threshold per window).
   */
  public List<K> hottest(int n) {
    long w = window(ticker.read());
    record Seen<K>(K key, long current, long previous) { }
    return rates.entrySet().stream()
        .map(e -> new Seen<>(e.getKey(), e.getValue().current(w), e.getValue().previous(w)))
        .filter(s -> s.current() + s.previous() > 0)
        .sorted(Comparator.comparingLong((Seen<K> s) -> s.current()).thenComparingLong(Seen::previous).reversed())
        .limit(n).map(Seen::key).toList();
  }

  /** Number of keys whose request rate is tracked: at most {@code maxTrackedKeys} plus one per caller adding a key. */
  public int trackedKeys() {
    return tracked.get();
  }

  /**
   * Counts a request in window {@code w}; returns whether the key is hot, recording {@link Event#HOT_KEY} when it
   * turns hot. A key seen for the first time may push the tracking over its bound: then this caller drops a cold
   * key ({@link #evictCold}).
   */
  private boolean count(K key, long w) {
    Rate rate = rates.get(key);
    if (rate == null) {
      rate = track(key, w);
    }
    int counted = rate.count(w, hotThreshold);
    if (counted == Rate.TURNED_HOT) {
      metrics.record(Event.HOT_KEY, key);
    }
    return counted != Rate.COLD;
  }

  /**
   * Starts tracking a key seen for the first time (off the hit path, so the hit path compiles small): a caller that
   * adds a key over the bound drops one before it goes on.
   */
  private Rate track(K key, long w) {
    if (Math.abs(window(ticker.read()) - w) > 1) { // once per new key: the windows would never line up
      throw new IllegalStateException("HotKeyProtection's ticker is not its store's clock: give the builder "
          + "store.ticker()");
    }
    int reserved = tracked.incrementAndGet();
    Rate mine = new Rate();
    Rate seen = rates.putIfAbsent(key, mine);
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
   * Keeps the bound with bounded work on the request thread: drops the coldest of the next {@link #SAMPLE} tracked
   * keys but {@code keep} on a cursor over the map (as Redis samples keys for its approximated LRU); while over the
   * bound, up to 2 keys in {@link #ROUNDS} samples. Coldest is the smallest {@link Rate#score}: a key hot in the last
   * window is kept over keys read once in this one. The caller takes a free one of {@link #CURSORS} cursors and waits
   * only if all are taken (by callers doing this same bounded work); a key another cursor dropped first is not a
   * failure, the next coldest of the sample goes instead. So every caller that adds a key over the bound takes one
   * out, and the table holds at most {@code maxTrackedKeys} plus the callers in flight.
   */
  private void evictCold(Rate keep, long w) {
    Cursor<K> cursor = cursor();
    try {
      int dropped = 0;
      for (int round = 0; round < ROUNDS && dropped < 2 && tracked.get() > maxTrackedKeys; round++) {
        List<Map.Entry<K, Rate>> sample = cursor.sample(rates, keep);
        sample.sort(Comparator.comparingLong(e -> e.getValue().score(w))); // coldest first (8: an insertion sort)
        for (Map.Entry<K, Rate> e : sample) {
          if (rates.remove(e.getKey(), e.getValue())) {
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
  private Cursor<K> cursor() {
    int start = ThreadLocalRandom.current().nextInt(CURSORS);
    for (int i = 0; i < CURSORS; i++) {
      Cursor<K> c = cursors.get((start + i) % CURSORS);
      if (c.tryLock()) {
        return c;
      }
    }
    Cursor<K> c = cursors.get(start);
    c.lock();
    return c;
  }

  /** Where an eviction samples the tracked keys next; its lock guards it. */
  private static final class Cursor<K> extends ReentrantLock {
    private final List<Map.Entry<K, Rate>> sample = new ArrayList<>(SAMPLE);
    private @Nullable Iterator<Map.Entry<K, Rate>> at;

    /** The next {@link #SAMPLE} entries but {@code keep}, from the start again after the last. */
    List<Map.Entry<K, Rate>> sample(Map<K, Rate> map, Rate keep) {
      sample.clear();
      for (int seen = 0; sample.size() < SAMPLE && seen <= SAMPLE; seen++) {
        if (at == null || !at.hasNext()) {
          at = map.entrySet().iterator();
          if (!at.hasNext()) {
            break;
          }
        }
        Map.Entry<K, Rate> e = at.next();
        if (e.getValue() != keep) {
          sample.add(e);
        }
      }
      return sample;
    }
  }

  /** The index of the counting window {@code now} falls in: the current window's, or a division. */
  private long window(long now) {
    Window w = current;
    return now >= w.start() && now - w.start() < windowNanos ? w.index() : nextWindow(now);
  }

  /** Once per window: computes the index, and keeps the window if it is the newest. */
  private long nextWindow(long now) {
    long index = Math.floorDiv(now, windowNanos);
    if (index > current.index()) {
      current = new Window(index, index * windowNanos);
    }
    return index;
  }

  /** A counting window: its index and where it starts on the clock. */
  private record Window(long index, long start) { }

  /**
   * Requests of one key in its current window (this {@link LongAdder}'s count) and the one before it. A request adds
   * to the adder (no lock, and under contention each thread adds to its own cell); once the key is known hot in a
   * window nothing shared is summed for it, and once its count reaches {@link #CAP} times the threshold nothing is
   * written either: a hit on a hot key only reads. Moving to a new window takes this object's lock, once per key per
   * window; a request racing with that move may be counted in either window.
   */
  private static final class Rate extends LongAdder {
    /** A hot key's count stops at about {@code CAP x hotThreshold} per window (what {@link #hottest} can rank). */
    static final int CAP = 64;
    static final int CAP_CHECK = 64;
    static final int COLD = 0;
    static final int HOT = 1;
    static final int TURNED_HOT = 2;

    private volatile long window = Long.MIN_VALUE;
    private volatile long previous;
    /** The window in which this key reached the threshold, so later requests in it need not sum. */
    private volatile long hotIn = Long.MIN_VALUE;
    /** The window in which this key's count reached its cap, so later requests in it write nothing. */
    private volatile long fullIn = Long.MIN_VALUE;

    /** Counts a request in window {@code w}: COLD, HOT, or TURNED_HOT if it reached {@code threshold} just now. */
    int count(long w, int threshold) {
      if (w > window) {
        roll(w);
      }
      if (fullIn == w) {
        return HOT; // counted up to the cap in this window: a hit reads, and writes nothing shared
      }
      increment();
      if (hotIn == w || previous >= threshold) {
        if (ThreadLocalRandom.current().nextInt(CAP_CHECK) == 0 && sum() >= (long) threshold * CAP) {
          fullIn = w; // one request in CAP_CHECK looks whether the cap is reached: the count may pass it a little
        }
        return HOT;
      }
      return sum() < threshold ? COLD : turnHot(w);
    }

    /** Once per key per window: the request that takes it hot (a lock off the hit path). */
    private synchronized int turnHot(long w) {
      if (hotIn == w) {
        return HOT;
      }
      hotIn = w;
      return TURNED_HOT;
    }

    private synchronized void roll(long w) {
      if (w > window) {
        long n = sumThenReset();
        previous = w == window + 1 ? n : 0;
        window = w;
      }
    }

    /** Requests in window {@code w} so far. */
    long current(long w) {
      return window == w ? sum() : 0;
    }

    /** Requests in the window before {@code w}. */
    long previous(long w) {
      long at = window;
      return at == w ? previous : at == w - 1 ? sum() : 0;
    }

    /** How hot the key is in window {@code w}: the busier of this and the last window (hot at the threshold). */
    long score(long w) {
      return Math.max(current(w), previous(w));
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
    private @Nullable Duration prewarmWindow;
    private int maxTrackedKeys = 10_000;

    private Builder(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl, "ttl");
    }

    /** Receives {@link Event#HOT_KEY}; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * The clock of the counting windows: the store's ({@code store.ticker()}), which the read path reads once per
     * call; default {@link Ticker#system()}, the in-process store's.
     */
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

    /** Hot keys live {@code ttl x multiplier} (1 to 1e6, and at most 146 years); default 4. */
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
