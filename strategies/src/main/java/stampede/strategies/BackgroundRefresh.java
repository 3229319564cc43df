package stampede.strategies;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.RejectedException;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * Refresh-ahead with cache warming: a tracked key that expires within {@code refreshWindow} is reloaded in the
 * background while still fresh, so its readers keep hitting; {@link #warm} fills keys up front. It is a
 * {@link CacheAside} with this class as its {@link CacheAside.Policy}, plus the set of keys to keep fresh.
 *
 * <p><b>Prevents:</b> the expiry (and cold-start) stampede on keys that are read or warmed: one refresh per key
 * replaces the value before it expires, and no reader misses.
 *
 * <p><b>Pick it when</b> the hot set is known or stable and values must never be served stale. Call
 * {@link #refreshDue} from a scheduler, e.g. every {@code refreshWindow / 2}.
 *
 * <p><b>Costs:</b> a background load per tracked key per TTL. A key is tracked from its read until it has not been read
 * for {@code forgetAfter} (default 1 minute), a warmed key whether read or not; either until its entry is gone from the
 * store (a failed store read is not an absence: {@link Event#STORE_ERROR}, and the next round reads the key again; a
 * round stops reading a store that failed 3 reads in a row). At most {@code maxTrackedKeys} keys are tracked (default
 * 10,000): a new key makes room by dropping the keys read least recently (a quarter at a time), so new hot keys are
 * tracked; warmed keys stay. A get marks its key read (a map lookup; a write only if a sweep cleared the mark since),
 * and {@code refreshDue} turns the marks into read times on its own clock reading, so a key is forgotten
 * {@code forgetAfter} after the first sweep that followed its last read; a hit reads no clock of its own.
 * {@code refreshDue} reads the store only for the keys whose entry, as last seen, is due: about one round trip per key
 * per TTL, not one per key per call. See {@link CacheAside} for how refreshes run and fail (a refresh presumed lost,
 * dropped by the executor or hung, after half the window, so the next try still comes before expiry; at most
 * {@code maxTrackedKeys} queued or running, whatever the executor does with them). A failed refresh
 * keeps the old value until it expires and backs the key off, {@code initialBackoff} doubling to {@code maxBackoff} on
 * a monotonic {@link Ticker}; a success resets it.
 *
 * <p><b>Source:</b> Caffeine's {@code refreshAfterWrite} (one reload on the executor, a failed refresh keeps the old
 * value) and its issues #475 and #1794 (backoff after failed refreshes).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, CorruptEntryException.java, Entry.java, Event.java,
 * Fill.java, InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class BackgroundRefresh<K, V> implements LoadingStrategy<K, V>, CacheAside.Policy<K, V> {
  private static final long UNKNOWN = Long.MIN_VALUE; // an expiry not seen yet
  private static final int MAX_STORE_ERRORS = 3; // failed store reads in a row that end a refreshDue round
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final CacheAside<K, V> path;
  private final long windowNanos;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final long forgetAfterNanos;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Tracked<K, V>> tracked = new ConcurrentHashMap<>();

  private BackgroundRefresh(Builder<K, V> b) {
    this.store = b.store;
    this.ticker = b.ticker;
    this.metrics = b.metrics;
    this.fill = b.fill;
    this.windowNanos = nanos("refreshWindow", b.refreshWindow, Long.MAX_VALUE);
    this.initialBackoffNanos = nanos("initialBackoff", b.initialBackoff, Long.MAX_VALUE);
    this.maxBackoffNanos = nanos("maxBackoff", b.maxBackoff, Long.MAX_VALUE);
    this.forgetAfterNanos = nanos("forgetAfter", b.forgetAfter, Long.MAX_VALUE);
    this.maxTrackedKeys = b.maxTrackedKeys;
    check(maxBackoffNanos >= initialBackoffNanos, "maxBackoff must be at least initialBackoff: " + b.maxBackoff + " < "
        + b.initialBackoff);
    check(maxTrackedKeys >= 1, "maxTrackedKeys must be at least 1: " + maxTrackedKeys);
    this.path = CacheAside.builder(store, fill).metrics(metrics).policy(this, b.executor).ticker(ticker)
        .refreshHungAfter(Duration.ofNanos(Math.max(1, windowNanos / 2))) // lost: retried before expiry
        .maxRefreshing(maxTrackedKeys).build(); // one refresh per tracked key at most
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

  /** Keeps the keys read or warmed fresh by reloading them through {@code fill} on {@code executor}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Fill<K, V> fill, Executor executor) {
    return new Builder<>(store, fill, executor);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(loader, "loader");
    track(Objects.requireNonNull(key, "key"), loader, false);
    return path.get(key, loader);
  }

  @Override
  public CacheAside.Action decide(K key, @Nullable Entry<V> entry, long now) {
    if (entry == null || !entry.isFresh(now)) {
      return CacheAside.Action.LOAD;
    }
    if (!due(entry.expireTime(), now)) {
      return CacheAside.Action.HIT; // the common hit: no map lookup, no clock read
    }
    Tracked<K, V> t = tracked.get(key);
    if (t == null) {
      return CacheAside.Action.HIT;
    }
    if (t.expireTime != entry.expireTime()) {
      t.expireTime = entry.expireTime(); // remembered, so refreshDue reads the store only once this is due
    }
    return ticker.read() >= t.retryAt ? CacheAside.Action.HIT_AND_REFRESH : CacheAside.Action.HIT;
  }

  @Override
  public void refreshed(K key, @Nullable Throwable failure) {
    Tracked<K, V> t = tracked.get(key);
    if (t != null) {
      t.backoff = failure == null ? 0 : t.backoff == 0 ? initialBackoffNanos
          : t.backoff > maxBackoffNanos / 2 ? maxBackoffNanos : 2 * t.backoff;
      long now = ticker.read();
      long retryAt = now + t.backoff < now ? Long.MAX_VALUE : now + t.backoff; // saturates: a long backoff waits
      t.retryAt = failure == null ? Long.MIN_VALUE : retryAt;
      t.expireTime = UNKNOWN; // the next refreshDue reads it
    }
  }

  /**
   * Cache warming: tracks {@code keys}, read or not (until an entry is gone from the store), and loads, in line, each
   * one not already fresh beyond the window (so a second node warming the same shared store loads nothing). A failed
   * load is recorded by the fill and skipped.
   *
   * @return how many keys were loaded
   */
  public int warm(Collection<K> keys, Loader<K, V> loader) {
    Objects.requireNonNull(loader, "loader");
    int loaded = 0;
    for (K key : keys) {
      track(Objects.requireNonNull(key, "key"), loader, true);
      long now = store.ticker().read();
      Entry<V> entry = store.getOrMiss(key, now, metrics);
      if (entry == null || due(entry.expireTime(), now)) {
        try {
          fill.fill(key, entry, 0, loader);
          loaded++;
        } catch (LoadException | RejectedException e) {
          // recorded by the fill; the key loads on its first read
        }
      }
    }
    return loaded;
  }

  /**
   * Starts a refresh for every tracked key whose entry expires within the window, reading the store only for keys
   * whose last seen entry is due; drops the keys not read for {@code forgetAfter} and those gone from the store. A
   * failed store read ({@link Event#STORE_ERROR}) keeps its key for the next round; after {@value #MAX_STORE_ERRORS}
   * in a row (not counting corrupt entries) the round stops reading the store. Returns how many refreshes started.
   *
   * @throws stampede.core.InterruptedLoadException if the calling thread is interrupted in a store read
   */
  public int refreshDue() {
    int started = 0;
    int storeErrors = 0; // in a row, in this round
    long now = ticker.read();
    for (Map.Entry<K, Tracked<K, V>> e : tracked.entrySet()) {
      Tracked<K, V> t = e.getValue();
      if (t.read) {
        t.read = false;
        t.lastRead = now; // read since the last sweep
      } else if (!t.warmed && now - t.lastRead > forgetAfterNanos) {
        tracked.remove(e.getKey(), t); // nobody reads it any more: stop refreshing it
        continue;
      }
      long storeNow = store.ticker().read();
      if ((t.expireTime != UNKNOWN && !due(t.expireTime, storeNow)) || now < t.retryAt) {
        continue; // not due, as far as this process has seen: no round trip
      }
      Entry<V> entry;
      try {
        entry = store.get(e.getKey(), storeNow);
      } catch (StoreException error) { // not an absence: the key stays, the next round reads it again
        metrics.record(Event.STORE_ERROR, e.getKey());
        if (!(error instanceof CorruptEntryException) && ++storeErrors == MAX_STORE_ERRORS) {
          break; // the store is failing: the other keys wait for the next round, not for a timeout each
        }
        continue;
      }
      storeErrors = 0;
      if (entry == null) {
        tracked.remove(e.getKey(), t); // gone from the store: stop refreshing it
        continue;
      }
      t.expireTime = entry.expireTime(); // remembered, so the next sweep reads the store only once this is due
      if (decide(e.getKey(), entry, storeNow) == CacheAside.Action.HIT_AND_REFRESH
          && path.refresh(e.getKey(), entry, t.loader)) {
        started++;
      }
    }
    return started;
  }

  /** Background refreshes queued or running: at most {@code maxTrackedKeys}, whatever the executor does with them. */
  public int refreshing() {
    return path.refreshing();
  }

  private boolean due(long expireTime, long now) {
    return expireTime - now <= windowNanos;
  }

  /** Tracks a key read (or warmed) now; a new key finds room by dropping the keys read least recently. */
  private void track(K key, Loader<K, V> loader, boolean warmed) {
    Tracked<K, V> t = tracked.get(key);
    if (t == null) {
      long now = ticker.read();
      if (tracked.size() >= maxTrackedKeys) {
        makeRoom(now);
      }
      if (tracked.size() >= maxTrackedKeys) {
        return; // all warmed: this key is plain cache-aside
      }
      t = tracked.computeIfAbsent(key, k -> new Tracked<>(now, loader));
    } else if (!t.read) {
      t.read = true; // a write once per sweep at most, not per read
    }
    if (warmed) {
      t.warmed = true;
    }
    if (t.loader != loader) {
      t.loader = loader; // the latest loader refreshes the key
    }
  }

  /** Drops the keys not read for {@code forgetAfter}, then if need be the quarter read least recently. */
  private void makeRoom(long now) {
    synchronized (tracked) { // one sweep at a time; a sweep frees a quarter, so sweeps are rare
      if (tracked.size() < maxTrackedKeys) {
        return;
      }
      for (Tracked<K, V> t : tracked.values()) {
        if (t.read) {
          t.read = false;
          t.lastRead = now; // read since the last sweep
        }
      }
      tracked.values().removeIf(t -> !t.warmed && now - t.lastRead > forgetAfterNanos);
      int excess = tracked.size() - (maxTrackedKeys - maxTrackedKeys / 4);
      if (excess > 0) {
        tracked.entrySet().stream().filter(e -> !e.getValue().warmed)
            .sorted(Comparator.comparingLong(e -> e.getValue().lastRead)).limit(excess).map(Map.Entry::getKey)
            .toList().forEach(tracked::remove);
      }
    }
  }

  /** Per tracked key: its loader, when it was last seen read, the expiry last seen, and its backoff. */
  private static final class Tracked<K, V> {
    volatile Loader<K, V> loader;
    volatile long lastRead;
    volatile boolean read; // read since the last sweep turned this into lastRead
    volatile boolean warmed;
    volatile long expireTime = UNKNOWN;
    volatile long backoff;
    volatile long retryAt = Long.MIN_VALUE;

    Tracked(long now, Loader<K, V> loader) {
      this.lastRead = now;
      this.loader = loader;
    }
  }

  /** Settings of a {@link BackgroundRefresh}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Fill<K, V> fill;
    private final Executor executor;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private Duration refreshWindow = Duration.ofSeconds(10);
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofMinutes(1);
    private int maxTrackedKeys = 10_000;
    private Duration forgetAfter = Duration.ofMinutes(1);

    private Builder(CacheStore<K, V> store, Fill<K, V> fill, Executor executor) {
      this.store = Objects.requireNonNull(store, "store");
      this.fill = Objects.requireNonNull(fill, "fill");
      this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** Receives the read path's events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of the backoff, {@code forgetAfter} and lost refreshes, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** A tracked key this close to expiry is refreshed; shorter than the TTL. Default 10 s. */
    public Builder<K, V> refreshWindow(Duration refreshWindow) {
      this.refreshWindow = Objects.requireNonNull(refreshWindow, "refreshWindow");
      return this;
    }

    /** The wait after a failed refresh, doubling up to {@code max}; default 1 s up to 1 minute. */
    public Builder<K, V> backoff(Duration initial, Duration max) {
      this.initialBackoff = Objects.requireNonNull(initial, "initial");
      this.maxBackoff = Objects.requireNonNull(max, "max");
      return this;
    }

    /** A key not read (nor warmed) for this long is no longer refreshed; default 1 minute. */
    public Builder<K, V> forgetAfter(Duration forgetAfter) {
      this.forgetAfter = Objects.requireNonNull(forgetAfter, "forgetAfter");
      return this;
    }

    /** How many keys are kept fresh at most (beyond, those read least recently are dropped); default 10,000. */
    public Builder<K, V> maxTrackedKeys(int maxTrackedKeys) {
      this.maxTrackedKeys = maxTrackedKeys;
      return this;
    }

    public BackgroundRefresh<K, V> build() {
      return new BackgroundRefresh<>(this);
    }
  }
}
