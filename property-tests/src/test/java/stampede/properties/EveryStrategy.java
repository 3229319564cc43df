package stampede.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.CircuitBreaker;
import stampede.strategies.DistributedLock;
import stampede.strategies.HotKeyProtection;
import stampede.strategies.LayeredStack;
import stampede.strategies.LoadShedder;
import stampede.strategies.Monitoring;
import stampede.strategies.PriorityShedder;
import stampede.strategies.ProbabilisticEarlyExpiration;
import stampede.strategies.RateLimited;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.StoreGuard;
import stampede.strategies.TtlJitter;
import stampede.strategies.TwoLevelCoalescing;

/**
 * Every strategy class, each composed as its javadoc shows, with the staleness its documentation allows: none, or
 * {@code staleWhileRevalidate} / {@code staleIfError} past expiry where it has them. Protections that refuse loads
 * (the lock's FAIL fallback, the breaker, the shedder, the rate limit) sit under a read path with
 * {@code staleIfError}, which is how they serve stale values.
 */
enum EveryStrategy {
  CACHE_ASIDE, SINGLE_FLIGHT, DISTRIBUTED_LOCK, DISTRIBUTED_LOCK_FAIL, TWO_LEVEL, TTL_JITTER, XFETCH,
  STALE_WHILE_REVALIDATE, BACKGROUND_REFRESH, HOT_KEY_PROTECTION, RATE_LIMITED, CIRCUIT_BREAKER, LOAD_SHEDDER,
  PRIORITY_SHEDDER, MONITORING, LAYERED_STACK, STORE_GUARD;

  static final Duration TTL = Duration.ofSeconds(10);
  static final double JITTER = 0.1;
  static final double HOT_TTL_MULTIPLIER = 3;
  static final Duration SWR = Duration.ofSeconds(5);
  static final Duration SIE = Duration.ofSeconds(8);
  static final Duration LEASE = Duration.ofSeconds(2);
  static final Duration MAX_WAIT = Duration.ofMillis(50);

  /** How stale a value this strategy may serve, by its documentation. */
  long boundNanos() {
    return switch (this) {
      case STALE_WHILE_REVALIDATE, LAYERED_STACK -> Math.max(SWR.toNanos(), SIE.toNanos());
      case DISTRIBUTED_LOCK_FAIL, RATE_LIMITED, CIRCUIT_BREAKER, LOAD_SHEDDER, PRIORITY_SHEDDER -> SIE.toNanos();
      default -> 0;
    };
  }

  /** The longest TTL it may give a value: what a value's expiry is taken to be when no write of it was seen. */
  long maxTtlNanos() {
    return switch (this) {
      case TTL_JITTER, LAYERED_STACK -> (long) (TTL.toNanos() * (1 + JITTER));
      case HOT_KEY_PROTECTION -> (long) (TTL.toNanos() * HOT_TTL_MULTIPLIER);
      default -> TTL.toNanos();
    };
  }

  boolean locks() {
    return this == DISTRIBUTED_LOCK || this == DISTRIBUTED_LOCK_FAIL || this == TWO_LEVEL || this == LAYERED_STACK;
  }

  /** A store and its leases in one object, as the strategies' builders take them (a fixture's, wrapped by a test). */
  interface Shared extends CacheStore<String, String>, Locks<String> { }

  /**
   * The parts of a built strategy that hold state a test checks afterwards: its single flights (loads in flight), its
   * read path (refresh marks), its guard, breaker and shedder, where it has them. The layered stack builds its own and
   * shows only its read path.
   */
  static final class Parts {
    final List<SingleFlight<String, String>> flights = new ArrayList<>();
    final List<TwoLevelCoalescing<String, String>> twoLevels = new ArrayList<>();
    CacheAside<String, String> path;
    StoreGuard<String, String> guard;
    CircuitBreaker<String, String> breaker;
    LoadShedder<String, String> shedder;
    PriorityShedder<String, String> priorityShedder;

    /** Load slots still taken in the shedders. */
    int slotsTaken() {
      return (shedder == null ? 0 : shedder.loadsInFlight())
          + (priorityShedder == null ? 0 : priorityShedder.loadsInFlight());
    }

    /** Loads in flight in every single flight of the strategy. */
    int inFlight() {
      return flights.stream().mapToInt(SingleFlight::inFlight).sum()
          + twoLevels.stream().mapToInt(TwoLevelCoalescing::inFlight).sum();
    }

    private <T> T add(T part) {
      if (part instanceof SingleFlight<?, ?> f) {
        flights.add(cast(f));
      } else if (part instanceof TwoLevelCoalescing<?, ?> t) {
        twoLevels.add(cast(t));
      } else if (part instanceof CircuitBreaker<?, ?> b) {
        breaker = cast(b);
      } else if (part instanceof LoadShedder<?, ?> l) {
        shedder = cast(l);
      } else if (part instanceof PriorityShedder<?, ?> l) {
        priorityShedder = cast(l);
      } else if (part instanceof StoreGuard<?, ?> g) {
        guard = cast(g);
      } else if (part instanceof CacheAside<?, ?> c) {
        path = cast(c);
      }
      return part;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object part) {
      return (T) part;
    }
  }

  /**
   * The fixture's store and leases, failing on demand ({@link #down}), remembering the expiry of every value written
   * through it, so a served value's staleness is measured against the expiry it was written with.
   */
  static final class Watched implements Shared {
    final AtomicBoolean down = new AtomicBoolean();
    final Map<String, Long> expiries = new ConcurrentHashMap<>();
    private final CacheStore<String, String> store;
    private final Locks<String> locks;

    Watched(CacheStore<String, String> store, Locks<String> locks) {
      this.store = store;
      this.locks = locks;
    }

    private void check() {
      if (down.get()) {
        throw new StoreException("store down", null);
      }
    }

    @Override
    public Entry<String> get(String key) {
      check();
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      expiries.put(entry.value(), entry.expireTime());
      check();
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      check();
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }

    @Override
    public long tryAcquire(String key, String owner, long leaseMillis) {
      check();
      return locks.tryAcquire(key, owner, leaseMillis);
    }

    @Override
    public boolean renew(String key, String owner, long leaseMillis) {
      check();
      return locks.renew(key, owner, leaseMillis);
    }

    @Override
    public boolean release(String key, String owner) {
      check();
      return locks.release(key, owner);
    }

    @Override
    public Watch watch(String key) {
      check();
      return locks.watch(key);
    }

    @Override
    public void signal(String key) {
      check();
      locks.signal(key);
    }
  }

  /**
   * The strategy over {@code w}; in-process intervals (breaker, limiter, windows, backoff, the guard) on
   * {@code ticker}, the lock's waits in real time (a short {@code maxWait}), background work on {@code background}.
   */
  LoadingStrategy<String, String> build(Watched w, Ticker ticker, Metrics metrics, Random random,
      ScheduledExecutorService watchdog, Harness.TrackingExecutor background) {
    return build(w, ticker, metrics, random, watchdog, background, MAX_WAIT, new Parts());
  }

  /** The same, the lock's {@code maxWait} given, its parts collected in {@code parts}. */
  LoadingStrategy<String, String> build(Shared w, Ticker ticker, Metrics metrics, Random random,
      ScheduledExecutorService watchdog, Harness.TrackingExecutor background, Duration maxWait, Parts parts) {
    StoreFill<String, String> storeFill = new StoreFill<>(w, metrics, Ttl.fixed(TTL));
    Parts p = parts;
    return p.add(switch (this) {
      case CACHE_ASIDE -> path(w, storeFill, metrics).build();
      case SINGLE_FLIGHT -> path(w, singleFlight(p, w, storeFill, metrics), metrics).build();
      case DISTRIBUTED_LOCK -> path(w, lock(p, w, storeFill, metrics, random, watchdog, maxWait,
          DistributedLock.Fallback.LOAD_WITHOUT_CACHING), metrics).build();
      case DISTRIBUTED_LOCK_FAIL -> path(w, lock(p, w, storeFill, metrics, random, watchdog, maxWait,
          DistributedLock.Fallback.FAIL), metrics).staleIfError(SIE).build();
      case TWO_LEVEL -> path(w, p.add(new TwoLevelCoalescing<>(w, lock(p, w, storeFill, metrics, random, watchdog,
          maxWait, DistributedLock.Fallback.LOAD_WITHOUT_CACHING), metrics)), metrics).build();
      case TTL_JITTER -> path(w, singleFlight(p, w, new StoreFill<>(w, metrics, new TtlJitter<>(TTL, JITTER,
          random::nextDouble)), metrics), metrics).build();
      case XFETCH -> path(w, singleFlight(p, w, storeFill, metrics), metrics)
          .policy(new ProbabilisticEarlyExpiration<>(random::nextDouble, 1.0), background).ticker(ticker).build();
      case STALE_WHILE_REVALIDATE -> path(w, singleFlight(p, w, storeFill, metrics), metrics)
          .policy(new StaleWhileRevalidate<>(SWR), background).ticker(ticker).staleIfError(SIE).build();
      case BACKGROUND_REFRESH -> BackgroundRefresh.builder(w, singleFlight(p, w, storeFill, metrics), background)
          .metrics(metrics).ticker(ticker).refreshWindow(Duration.ofSeconds(2)).build();
      case HOT_KEY_PROTECTION -> {
        HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(TTL).metrics(metrics)
            .ticker(ticker).hotAt(2, Duration.ofSeconds(5)).hotTtlMultiplier(HOT_TTL_MULTIPLIER).build();
        yield path(w, singleFlight(p, w, new StoreFill<>(w, metrics, hot), metrics), metrics).policy(hot, background)
            .ticker(ticker).build();
      }
      case RATE_LIMITED -> path(w, RateLimited.builder(storeFill, () -> "client").metrics(metrics).ticker(ticker)
          .limit(2, 0.2).build(), metrics).staleIfError(SIE).build();
      case CIRCUIT_BREAKER -> path(w, p.add(CircuitBreaker.builder(storeFill).failureThreshold(2)
          .openFor(Duration.ofSeconds(5)).metrics(metrics).ticker(ticker).build()), metrics).staleIfError(SIE).build();
      case LOAD_SHEDDER -> path(w, p.add(LoadShedder.builder(storeFill).maxConcurrentLoads(1)
          .metrics(metrics).build()), metrics)
          .staleIfError(SIE).build();
      case PRIORITY_SHEDDER -> path(w, p.add(PriorityShedder.builder(storeFill).limit(1).metrics(metrics).ticker(ticker)
          .maxQueueWait(PriorityShedder.Priority.CRITICAL, Duration.ZERO)
          .maxQueueWait(PriorityShedder.Priority.DEFAULT, Duration.ZERO).build()), metrics).staleIfError(SIE).build();
      case MONITORING -> {
        Monitoring monitoring = Monitoring.builder(metrics).ticker(ticker).build();
        yield path(w, singleFlight(p, w, new StoreFill<>(w, monitoring, Ttl.fixed(TTL)), monitoring), monitoring)
            .build();
      }
      case LAYERED_STACK -> LayeredStack.builder(w, w, TTL, background).metrics(metrics).jitter(JITTER).stale(SWR, SIE)
          .lock(LEASE, maxWait).build();
      case STORE_GUARD -> {
        StoreGuard<String, String> guard = p.add(StoreGuard.builder(w, w).metrics(metrics).ticker(ticker).build());
        yield path(guard, singleFlight(p, guard, new StoreFill<>(guard, metrics, Ttl.fixed(TTL)), metrics), metrics)
            .build();
      }
    });
  }

  private static CacheAside.Builder<String, String> path(CacheStore<String, String> store, Fill<String, String> fill,
      Metrics metrics) {
    return CacheAside.builder(store, fill).metrics(metrics);
  }

  private static SingleFlight<String, String> singleFlight(Parts parts, CacheStore<String, String> store,
      Fill<String, String> fill, Metrics metrics) {
    return parts.add(SingleFlight.builder(store, fill).metrics(metrics).maxWait(Duration.ofSeconds(10)).build());
  }

  private static DistributedLock<String, String> lock(Parts parts, Shared w, Fill<String, String> fill,
      Metrics metrics, Random random, ScheduledExecutorService watchdog, Duration maxWait,
      DistributedLock.Fallback fallback) {
    return DistributedLock.builder(w, w, fill).metrics(metrics).tokens(random).watchdog(watchdog).lease(LEASE)
        .maxWait(maxWait).fallback(fallback).build();
  }
}
