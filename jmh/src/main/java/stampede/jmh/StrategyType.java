package stampede.jmh;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.jmh.impl.CaffeineAsyncGet;
import stampede.jmh.impl.CaffeineRefreshAfterWrite;
import stampede.jmh.impl.StrategyCache;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.CircuitBreaker;
import stampede.strategies.DistributedLock;
import stampede.strategies.HotKeyProtection;
import stampede.strategies.LayeredStack;
import stampede.strategies.LoadShedder;
import stampede.strategies.Monitoring;
import stampede.strategies.ProbabilisticEarlyExpiration;
import stampede.strategies.RateLimited;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.TtlJitter;
import stampede.strategies.TwoLevelCoalescing;

/**
 * Every strategy of the project, plus the two Caffeine peers a user would pick instead, each built the same way from
 * an {@link Env}: TTL {@code env.ttl}, loads from {@code env.db}, events into {@code env.metrics}, background work
 * on {@code env.executor}. Each constant says what it is in a line or a few; the shared layers and their settings
 * are the helpers at the bottom. The settings are deliberately ordinary (documented next to each constant and
 * helper), not tuned per scenario:
 * <ul>
 *   <li>single flight: waiters wait up to 5 s ({@link SingleFlight}'s default);</li>
 *   <li>distributed lock: lease 2 s, wait up to 2 s, then {@link DistributedLock.Fallback#LOAD_WITHOUT_CACHING}
 *       (its default);</li>
 *   <li>stale-if-error: 10 s on every read path that may serve stale (the lock strategies, stale-while-revalidate,
 *       the circuit breaker, the load shedder, the layered stack; Caffeine's {@code refreshAfterWrite} keeps a value
 *       as long past its TTL);</li>
 *   <li>TTL jitter: +-20% ({@code env.jitter}; the midnight scenario sets +-10%).</li>
 * </ul>
 *
 * <p>The peers ({@link #CAFFEINE_ASYNC_GET}, {@link #CAFFEINE_REFRESH_AFTER_WRITE}, adapters in
 * {@code stampede.jmh.impl}) are in-process caches with no pluggable store: they exist only for
 * {@link StoreType#CAFFEINE} ({@link #runsOn}).
 */
public enum StrategyType {
  /** The baseline: read, on a miss load in line and write. Stampedes by design. */
  CACHE_ASIDE(env -> readPath(env, storeFill(env)).build()),
  /** One load per key per process; waiters wait up to 5 s. */
  SINGLE_FLIGHT(env -> readPath(env, singleFlight(env, storeFill(env))).build()),
  /** One load per key across processes: lease 2 s, wait up to 2 s, then load without caching; stale-if-error. */
  DISTRIBUTED_LOCK(env -> staleIfError(readPath(env, lock(env, storeFill(env)))).build()),
  /** Single flight in the process in front of the distributed lock across processes; stale-if-error. */
  TWO_LEVEL_COALESCING(env -> staleIfError(readPath(env,
      new TwoLevelCoalescing<>(env.store, lock(env, storeFill(env)), env.metrics))).build()),
  /** Cache-aside with TTL +-20%: spreads mass expiry, does nothing for one hot key. */
  TTL_JITTER(env -> readPath(env, storeFill(env, jitter(env))).build()),
  /**
   * SingleFlight over a jittered TTL (+-20%): coalescing plus jitter, without the rest of the layered stack; next to
   * SINGLE_FLIGHT it isolates what jitter does to a mass expiry.
   */
  SINGLE_FLIGHT_JITTER(env -> readPath(env, singleFlight(env, storeFill(env, jitter(env)))).build()),
  /** XFetch, beta 1: a reader refreshes a fresh value early (on the executor) with a chance rising towards expiry. */
  XFETCH(env -> readPath(env, storeFill(env)).policy(xfetch(), env.executor).build()),
  /** XFetch over a SingleFlight fill, as its javadoc recommends: a key that does expire costs one load, not C. */
  XFETCH_SINGLE_FLIGHT(env -> readPath(env, singleFlight(env, storeFill(env))).policy(xfetch(), env.executor)
      .build()),
  /** Serves a value up to one TTL stale while one background refresh runs; stale-if-error. */
  STALE_WHILE_REVALIDATE(env -> staleIfError(readPath(env, storeFill(env))
      .policy(new StaleWhileRevalidate<>(env.ttl), env.executor)).build()),
  /**
   * Refresh-ahead: keys read are reloaded in the last quarter of their TTL (backoff 50 ms to 1 s after a failed
   * refresh), by {@code refreshDue()} every TTL/8.
   */
  BACKGROUND_REFRESH(env -> {
    BackgroundRefresh<String, String> refresh = BackgroundRefresh.builder(env.store, storeFill(env), env.executor)
        .metrics(env.metrics).refreshWindow(env.ttl.dividedBy(4))
        .backoff(Duration.ofMillis(50), Duration.ofSeconds(1)).maxTrackedKeys(100_000).build();
    env.every(env.ttl.dividedBy(8), refresh::refreshDue);
    return refresh;
  }),
  /** A token bucket per client (one client here): burst 2, 10 loads/s; over the rate a miss is rejected. */
  RATE_LIMITED(env -> readPath(env,
      RateLimited.builder(storeFill(env), () -> "bench-client").metrics(env.metrics).limit(2, 10.0).build())
      .build()),
  /** Opens after 3 failed loads in a row, for 500 ms; stale-if-error answers the refused and failed loads. */
  CIRCUIT_BREAKER(env -> staleIfError(readPath(env,
      new CircuitBreaker<>(storeFill(env), 3, Duration.ofMillis(500), env.metrics, env.ticker))).build()),
  /**
   * A key read 100 times in 1 s (counted on the store's clock) is hot: TTL x3 and refreshed in the background within
   * one TTL of expiry; cold keys are cache-aside; its misses are coalesced by a SingleFlight, as its javadoc builds it.
   */
  HOT_KEY_PROTECTION(env -> {
    HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(env.ttl).metrics(env.metrics)
        .ticker(env.store.ticker()).hotAt(100, Duration.ofSeconds(1)).hotTtlMultiplier(3).prewarmWindow(env.ttl)
        .maxTrackedKeys(100_000).build();
    return readPath(env, singleFlight(env, storeFill(env, hot))).policy(hot, env.executor).build();
  }),
  /** At most 2 loads at once; a load waits up to 10 ms for a slot, else it is shed; stale-if-error. */
  LOAD_SHEDDER(env -> staleIfError(readPath(env,
      new LoadShedder<>(storeFill(env), 2, Duration.ofMillis(10), env.metrics))).build()),
  /**
   * Cache-aside reporting through Monitoring (a miss storm is 10 misses of one key in 1 s): the cost of watching,
   * not a cure.
   */
  MONITORING(env -> {
    Monitoring monitoring = Monitoring.builder(env.metrics).missStorm(10, Duration.ofSeconds(1))
        .maxTrackedKeys(100_000).build();
    return CacheAside.builder(env.store, new StoreFill<>(env.store, monitoring, Ttl.fixed(env.ttl)))
        .metrics(monitoring).build();
  }),
  /**
   * The project's recommended stack: CacheAside + StaleWhileRevalidate (one TTL) over SingleFlight(DistributedLock(
   * StoreFill(TtlJitter))), jitter +-20%, stale-if-error 10 s, lease and wait 2 s.
   */
  LAYERED_STACK(env -> LayeredStack.<String, String>builder(env.store, env.locks, env.ttl, env.executor)
      .metrics(env.metrics).jitter(env.jitter).stale(env.ttl, staleIfError()).lock(lease(), lockWait()).build()),
  /** Peer: Caffeine {@code AsyncCache.get} with {@code expireAfterWrite(TTL)}: one load per key, callers wait. */
  CAFFEINE_ASYNC_GET(StoreType.CAFFEINE, env -> new CaffeineAsyncGet(env.db, env.metrics, env.ttl, env.executor,
      env.customStoreClock ? env.storeTicker : null)),
  /**
   * Peer: Caffeine {@code refreshAfterWrite(TTL)} with {@code expireAfterWrite(TTL + 10 s)}: one reload on the
   * executor, the old value served meanwhile and kept if the reload fails.
   */
  CAFFEINE_REFRESH_AFTER_WRITE(StoreType.CAFFEINE,
      env -> new CaffeineRefreshAfterWrite(env.db, env.metrics, env.ttl, staleIfError(), env.executor,
          env.customStoreClock ? env.storeTicker : null));

  private final Function<Env, BenchCache> factory;
  private final Set<StoreType> stores;

  /** A strategy of this project: it runs on every store. */
  StrategyType(Function<Env, LoadingStrategy<String, String>> strategy) {
    this.factory = env -> new StrategyCache(strategy.apply(env), env.db, env.store);
    this.stores = EnumSet.allOf(StoreType.class);
  }

  /** A peer with its own cache, on {@code only} that store. */
  StrategyType(StoreType only, Function<Env, BenchCache> peer) {
    this.factory = peer;
    this.stores = EnumSet.of(only);
  }

  /** Builds the strategy on the env's store, ready for {@link BenchCache#get}; its background work stops with env. */
  public BenchCache create(Env env) {
    if (!runsOn(env.storeType)) {
      throw new IllegalArgumentException("N/A: " + this + " is an in-process Caffeine cache; it has no "
          + env.storeType + " variant (run it with -p store=CAFFEINE)");
    }
    return factory.apply(env);
  }

  /** False for a store the strategy cannot run on (the Caffeine peers on Redis: not applicable). */
  public boolean runsOn(StoreType store) {
    return stores.contains(store);
  }

  // The shared layers and their settings (static methods: an enum constant may not read the enum's static fields).

  /** The read path every strategy but the peers stands on, reporting to the env's counters. */
  static CacheAside.Builder<String, String> readPath(Env env, Fill<String, String> fill) {
    return CacheAside.builder(env.store, fill).metrics(env.metrics);
  }

  /** The innermost fill: loads from the database, writes the entry fresh for the env's TTL. */
  static Fill<String, String> storeFill(Env env) {
    return storeFill(env, Ttl.fixed(env.ttl));
  }

  static Fill<String, String> storeFill(Env env, Ttl<String> ttl) {
    return new StoreFill<>(env.store, env.metrics, ttl);
  }

  /** Waiters wait up to 5 s (the default). */
  static Fill<String, String> singleFlight(Env env, Fill<String, String> fill) {
    return SingleFlight.builder(env.store, fill).metrics(env.metrics).build();
  }

  /** Lease 2 s, wait up to 2 s, then load without caching (the default fallback); renewals on the env's scheduler. */
  static DistributedLock<String, String> lock(Env env, Fill<String, String> fill) {
    return DistributedLock.builder(env.store, env.locks, fill).metrics(env.metrics).lease(lease())
        .maxWait(lockWait()).watchdog(env.scheduler).build();
  }

  /** The env's TTL +- the env's jitter (+-20% unless the env says otherwise). */
  static TtlJitter<String> jitter(Env env) {
    return new TtlJitter<>(env.ttl, env.jitter, uniform());
  }

  /** XFetch with the paper's beta = 1. */
  static ProbabilisticEarlyExpiration<String, String> xfetch() {
    return new ProbabilisticEarlyExpiration<>(uniform(), 1.0);
  }

  static CacheAside.Builder<String, String> staleIfError(CacheAside.Builder<String, String> readPath) {
    return readPath.staleIfError(staleIfError());
  }

  static Duration staleIfError() {
    return Duration.ofSeconds(10);
  }

  static Duration lease() {
    return Duration.ofSeconds(2);
  }

  static Duration lockWait() {
    return Duration.ofSeconds(2);
  }

  static DoubleSupplier uniform() {
    return () -> ThreadLocalRandom.current().nextDouble();
  }
}
