package stampede.strategies;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.RejectedException;
import stampede.core.Ticker;

/**
 * Cache-aside, the one read path: read the store; serve a fresh entry; otherwise load through the {@link Fill}. A
 * {@link Policy} decides <em>when</em> to load instead: serve a stale value while one background refresh replaces
 * it ({@link StaleWhileRevalidate}), refresh a fresh value early ({@link ProbabilisticEarlyExpiration},
 * {@link HotKeyProtection}, {@link BackgroundRefresh}). {@code stampede.core.Fill} draws the whole nesting.
 *
 * <p><b>Prevents:</b> nothing by itself: when a hot key expires, C callers on N nodes each miss and load, up to
 * C x N loads per expiry. That is the stampede the fills below it ({@link SingleFlight}, {@link DistributedLock})
 * and the policies prevent; with the plain policy and a {@code StoreFill} it is the baseline they are measured
 * against.
 *
 * <p><b>Pick it when</b> you read a cache: every strategy here runs on it. Alone, for cold keys or cheap loads.
 *
 * <p><b>Costs:</b> one store read and one clock read per hit ({@link CacheStore#ticker()}, read once and given to
 * both the store and the policy), and no allocation. A refreshing policy adds one executor task per key at a time
 * (a concurrent map of the keys being refreshed); the task re-reads the entry and skips the load if a
 * fresh one was written meanwhile. A failed refresh keeps the old value ({@link Event#REFRESH_FAILED}; an
 * {@link Error} too, which is then rethrown to the executor); an executor that refuses the task, whatever it throws
 * ({@link Event#REFRESH_REJECTED}), leaves the next read to try again, and the reader still gets its value. A
 * refresh queued or running for {@code refreshHungAfter} (default 1 minute, on a monotonic {@link Ticker}) is
 * presumed lost, dropped by the executor or hung, and no longer stops the next read from starting another. At most
 * {@code maxRefreshing} refreshes (default 10,000) are marked, plus one per caller starting one, whatever the executor
 * does with them: at the bound a sweep drops the marks presumed lost among the next 16, and a refresh that still finds
 * no room is skipped ({@link Event#REFRESH_REJECTED}; the reader gets its value). With
 * {@code staleIfError}, an in-line load that fails or is refused answers with the stale entry if it is at most that
 * stale ({@link Event#STALE_SERVED}); an {@link InterruptedLoadException}, the caller's own cancellation, is
 * rethrown, never answered with a stale value.
 *
 * <p><b>Source:</b> the cache-aside pattern (Microsoft, "Cache-Aside pattern", Azure Architecture Center);
 * stale-if-error from RFC 5861, section 4; one refresh per key on an executor as Caffeine's
 * {@code refreshAfterWrite} does.
 *
 * <p><b>Copy with it:</b> CacheStore.java, Entry.java, Event.java, Fill.java, InterruptedLoadException.java,
 * LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class CacheAside<K, V> implements LoadingStrategy<K, V> {

  /**
   * What the read path does with the entry it read: serve it fresh ({@code HIT}); serve it fresh and refresh it
   * in the background; serve it stale and refresh it in the background; or load now, in line, through the fill.
   */
  public enum Action { HIT, HIT_AND_REFRESH, STALE_AND_REFRESH, LOAD }

  /** Decides when to load. */
  @FunctionalInterface
  public interface Policy<K, V> {
    /**
     * Called once per {@code get}, with the entry read ({@code null} if none) and the store clock's {@code now};
     * anything but {@link Action#LOAD} for a null entry is taken as {@code LOAD}.
     */
    Action decide(K key, @Nullable Entry<V> entry, long now);

    /** Called when a background refresh of {@code key} ends: {@code failure} is null on success. */
    default void refreshed(K key, @Nullable Throwable failure) {
    }

    /** The plain policy: a fresh entry is a hit, anything else loads. */
    static <K, V> Policy<K, V> untilExpiry() {
      return (key, entry, now) -> entry != null && entry.isFresh(now) ? Action.HIT : Action.LOAD;
    }
  }

  private final CacheStore<K, V> store;
  private final Ticker clock;
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final Policy<K, V> policy;
  private final Executor refresher;
  private final long staleIfErrorNanos;
  private final Ticker ticker;
  private final long refreshHungAfterNanos;
  private final int maxRefreshing;
  private final ConcurrentHashMap<K, Mark> refreshing = new ConcurrentHashMap<>();
  private final ReentrantLock sweeping = new ReentrantLock();
  private @Nullable Iterator<Map.Entry<K, Mark>> sweepAt; // where the next sweep looks; guarded by sweeping
  private static final int SWEEP = 16; // marks a sweep looks at

  /** A key's refresh, queued or running since {@code since} on the monotonic ticker. */
  private static final class Mark {
    final long since;

    Mark(long since) {
      this.since = since;
    }
  }

  private CacheAside(Builder<K, V> b) {
    this.store = b.store;
    this.clock = b.store.ticker();
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.policy = b.policy;
    this.refresher = b.refresher;
    this.staleIfErrorNanos = b.staleIfError == null ? -1 : b.staleIfError.toNanos();
    this.ticker = b.ticker;
    this.refreshHungAfterNanos = b.refreshHungAfter.toNanos();
    this.maxRefreshing = b.maxRefreshing;
  }

  /** A read path over {@code store} that loads through {@code fill} (e.g. a {@code StoreFill}). */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Fill<K, V> fill) {
    return new Builder<>(store, fill);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    long now = clock.read(); // the one clock reading of a hit: the store and the policy decide on it
    Entry<V> entry = store.getOrMiss(key, now, metrics);
    Action action = policy.decide(key, entry, now);
    if (entry == null || action == Action.LOAD) {
      metrics.record(Event.MISS, key);
      try {
        return fill.fill(key, entry, 0, loader);
      } catch (InterruptedLoadException e) {
        throw e; // the caller's cancellation: it gets the interrupt, not a stale value
      } catch (LoadException | RejectedException e) {
        if (entry != null && entry.staleFor(clock.read()) <= staleIfErrorNanos) { // read again: the load took time
          metrics.record(Event.STALE_SERVED, key);
          return entry.value();
        }
        throw e;
      }
    }
    if (action != Action.HIT) {
      refresh(key, entry, loader);
    }
    metrics.record(action == Action.STALE_AND_REFRESH ? Event.STALE_SERVED : Event.HIT, key);
    return entry.value();
  }

  /**
   * Starts a background refresh of {@code key}, the caller having read {@code seen}, unless one is queued or
   * running in this process (and has been for less than {@code refreshHungAfter}), or {@code maxRefreshing} are
   * ({@link Event#REFRESH_REJECTED}).
   *
   * @return true if a refresh was started
   */
  public boolean refresh(K key, Entry<V> seen, Loader<K, V> loader) {
    long now = ticker.read();
    Mark current = refreshing.get(key);
    if (current != null && now - current.since < refreshHungAfterNanos) {
      return false;
    }
    if (current == null && refreshing.size() >= maxRefreshing && !sweep(now)) {
      metrics.record(Event.REFRESH_REJECTED, key); // the bound on marks, under an executor that drops tasks too
      return false;
    }
    Mark mine = new Mark(now);
    if (current == null ? refreshing.putIfAbsent(key, mine) != null : !refreshing.replace(key, current, mine)) {
      return false;
    }
    try {
      refresher.execute(() -> runRefresh(key, seen, loader, mine));
      return true;
    } catch (RuntimeException | Error e) { // RejectedExecutionException, or anything else: the reader has its value
      refreshing.remove(key, mine);
      metrics.record(Event.REFRESH_REJECTED, key);
      return false;
    }
  }

  /**
   * At the bound: drops the marks presumed lost (older than {@code refreshHungAfter}) among the next {@link #SWEEP}
   * (a cursor over the marks, one sweeper at a time; a caller that finds it sweeping does not wait). True if a mark
   * was dropped.
   */
  private boolean sweep(long now) {
    if (!sweeping.tryLock()) {
      return false;
    }
    try {
      boolean dropped = false;
      for (int i = 0; i < SWEEP; i++) {
        if (sweepAt == null || !sweepAt.hasNext()) {
          sweepAt = refreshing.entrySet().iterator();
          if (!sweepAt.hasNext()) {
            break;
          }
        }
        Map.Entry<K, Mark> e = sweepAt.next();
        if (now - e.getValue().since >= refreshHungAfterNanos && refreshing.remove(e.getKey(), e.getValue())) {
          dropped = true;
        }
      }
      return dropped;
    } finally {
      sweeping.unlock();
    }
  }

  /** Background refreshes queued or running (for tests and monitoring). */
  public int refreshing() {
    return refreshing.size();
  }

  private void runRefresh(K key, Entry<V> seen, Loader<K, V> loader, Mark mine) {
    @Nullable Throwable failure = null;
    try {
      if (store.freshSince(key, seen, metrics) == null) { // skip if a fresh value was written meanwhile
        metrics.record(Event.REFRESH_STARTED, key);
        fill.fill(key, seen, 0, loader);
      }
    } catch (RuntimeException e) {
      failure = e;
      metrics.record(Event.REFRESH_FAILED, key); // the old value stays in the store
    } catch (Error e) { // this refresh's failure too, and still thrown to the executor
      failure = e;
      metrics.record(Event.REFRESH_FAILED, key);
      throw e;
    } finally {
      refreshing.remove(key, mine);
      policy.refreshed(key, failure);
    }
  }

  /** Settings of a {@link CacheAside}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private Policy<K, V> policy = Policy.untilExpiry();
    private Executor refresher = task -> {
      throw new IllegalStateException("this policy refreshes in the background: give it an executor");
    };
    private @Nullable Duration staleIfError;
    private Ticker ticker = Ticker.system();
    private Duration refreshHungAfter = Duration.ofMinutes(1);
    private int maxRefreshing = 10_000;

    private Builder(CacheStore<K, V> store, Fill<K, V> fill) {
      this.store = Objects.requireNonNull(store, "store");
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Receives HIT, MISS, STALE_SERVED, REFRESH_* and store events; default {@link Metrics#none()}. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * When to load, and the executor its background refreshes run on (bounded, ideally; {@code Runnable::run}
     * refreshes in line on the reader that triggers it). Default: {@link Policy#untilExpiry()}, which never
     * refreshes.
     */
    public Builder<K, V> policy(Policy<K, V> policy, Executor refresher) {
      this.policy = Objects.requireNonNull(policy, "policy");
      this.refresher = Objects.requireNonNull(refresher, "refresher");
      return this;
    }

    /**
     * How long past expiry an entry may still answer a load that failed or was refused (RFC 5861's
     * {@code stale-if-error}); the store's retention must be at least this. Default: never.
     */
    public Builder<K, V> staleIfError(Duration maxStale) {
      if (maxStale.isNegative() || maxStale.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("staleIfError must be at least 0 and at most 292 years: " + maxStale);
      }
      this.staleIfError = maxStale;
      return this;
    }

    /**
     * How long a background refresh may be queued or running before it is presumed lost (an executor that dropped
     * it, a load that hangs) and the next read may start another; default 1 minute.
     */
    public Builder<K, V> refreshHungAfter(Duration refreshHungAfter) {
      if (refreshHungAfter.isNegative() || refreshHungAfter.isZero()
          || refreshHungAfter.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("refreshHungAfter must be positive and at most 292 years: "
            + refreshHungAfter);
      }
      this.refreshHungAfter = refreshHungAfter;
      return this;
    }

    /**
     * Bound on the refreshes queued or running in this process (a mark each, so an executor that drops tasks without
     * a word cannot grow the marks); beyond it a refresh is skipped ({@link Event#REFRESH_REJECTED}) and the reader
     * still gets its value. Default 10,000.
     */
    public Builder<K, V> maxRefreshing(int maxRefreshing) {
      if (maxRefreshing < 1) {
        throw new IllegalArgumentException("maxRefreshing must be at least 1: " + maxRefreshing);
      }
      this.maxRefreshing = maxRefreshing;
      return this;
    }

    /** The clock of {@code refreshHungAfter}, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public CacheAside<K, V> build() {
      return new CacheAside<>(this);
    }
  }
}
