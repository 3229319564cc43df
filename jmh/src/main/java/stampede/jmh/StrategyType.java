package stampede.jmh;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
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
 * Every strategy of the project, plus the two Caffeine peers a user would pick instead, each wired the same
 * way from an {@link Env}: TTL {@code env.ttl}, loads from {@code env.db}, events into {@code env.counters}.
 * The settings below are the ones a benchmark compares; they are deliberately ordinary (documented next to
 * each constant), not tuned per scenario.
 *
 * <p>The peers ({@link #CAFFEINE_ASYNC_GET}, {@link #CAFFEINE_REFRESH_AFTER_WRITE}) are in-process caches with
 * no pluggable store: they exist only for {@link StoreType#CAFFEINE} ({@link #supports}).
 */
public enum StrategyType {
  /** The baseline: read, on a miss load in line and write. Stampedes by design. */
  CACHE_ASIDE {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new CacheAside<>(env.store, env.ticker, env.counters, env.ttl);
    }
  },
  /** One load per key per process; waiters wait up to 5 s. */
  SINGLE_FLIGHT {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new SingleFlight<>(env.store, env.ticker, env.counters, env.ttl, Duration.ofSeconds(5));
    }
  },
  /** One load per key across processes: lease 2 s, wait up to 2 s, then serve stale or load uncached. */
  DISTRIBUTED_LOCK {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new DistributedLock<>(env.store, env.locks, env.ticker, env.random, env.scheduler, env.counters,
          env.ttl, Duration.ofSeconds(2), Duration.ofSeconds(2), DistributedLock.Fallback.SERVE_STALE_OR_LOAD);
    }
  },
  /** Single flight in the process, then the distributed lock across processes. */
  TWO_LEVEL_COALESCING {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new TwoLevelCoalescing<>(env.store, env.locks, env.ticker, env.random, env.scheduler, env.counters,
          env.ttl, Duration.ofSeconds(2), Duration.ofSeconds(2), DistributedLock.Fallback.SERVE_STALE_OR_LOAD);
    }
  },
  /** Cache-aside with TTL +-20%: spreads mass expiry, does nothing for one hot key. */
  TTL_JITTER {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new TtlJitter<>(env.store, env.ticker, uniform(), env.counters, env.ttl, 0.2);
    }
  },
  /**
   * SingleFlight over TtlJitter (+-20%): coalescing plus jitter, without the rest of the layered stack; next to
   * SINGLE_FLIGHT it isolates what jitter does to a mass expiry.
   */
  SINGLE_FLIGHT_JITTER {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      TtlJitter<String, String> jitter = new TtlJitter<>(env.store, env.ticker, uniform(), env.counters, env.ttl,
          0.2);
      return new SingleFlight<>(env.store, env.ticker, env.counters, jitter, Duration.ofSeconds(5));
    }
  },
  /** XFetch, beta 1: one caller recomputes early with a probability rising towards expiry. */
  XFETCH {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new ProbabilisticEarlyExpiration<>(env.store, env.ticker, uniform(), env.counters, env.ttl, 1.0);
    }
  },
  /**
   * XFetch over SingleFlight, as its javadoc recommends: simultaneous early recomputes on one hot key cost one
   * load per process instead of one per caller that drew a recompute.
   */
  XFETCH_SINGLE_FLIGHT {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      SingleFlight<String, String> once = new SingleFlight<>(env.store, env.ticker, env.counters, env.ttl,
          Duration.ofSeconds(5));
      return new ProbabilisticEarlyExpiration<>(env.store, env.ticker, uniform(), env.counters, once, 1.0);
    }
  },
  /** Serves stale for one TTL while one background refresh runs; stale-if-error 10 s. */
  STALE_WHILE_REVALIDATE {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new StaleWhileRevalidate<>(env.store, env.ticker, env.executor, env.counters, env.ttl, env.ttl,
          Duration.ofSeconds(10));
    }
  },
  /** Refresh-ahead: keys read are reloaded in the last quarter of their TTL by a scheduler (every TTL/8). */
  BACKGROUND_REFRESH {
    @Override
    BenchCache build(Env env) {
      Duration window = env.ttl.dividedBy(4);
      BackgroundRefresh<String, String> br = new BackgroundRefresh<>(env.store, env.ticker, env.executor,
          env.counters, env.ttl, window, Duration.ofMillis(50), Duration.ofSeconds(1), 100_000);
      long period = Math.max(1, window.toMillis() / 2);
      var task = env.scheduler.scheduleAtFixedRate(() -> {
        try {
          br.refreshDue();
        } catch (RuntimeException e) {
          // keep the schedule alive; failures are counted by the strategy
        }
      }, period, period, TimeUnit.MILLISECONDS);
      return new Facade(br, env) {
        @Override
        public void close() {
          task.cancel(false);
        }
      };
    }
  },
  /** A token bucket per client (one client here): burst 2, 10 loads/s; over the rate a miss is rejected. */
  RATE_LIMITED {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new RateLimited<>(env.store, env.ticker, env.counters, env.ttl, () -> "bench-client", 2, 10.0);
    }
  },
  /** Opens after 3 failed loads for 500 ms, serving entries up to 10 s stale while open. */
  CIRCUIT_BREAKER {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new CircuitBreaker<>(env.store, env.ticker, env.counters, env.ttl, 3, Duration.ofMillis(500),
          Duration.ofSeconds(10));
    }
  },
  /** A key read 100 times in 1 s is hot: TTL x3 and refreshed in the background one TTL before expiry. */
  HOT_KEY_PROTECTION {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new HotKeyProtection<>(env.store, env.ticker, env.executor, env.counters, env.ttl, 100,
          Duration.ofSeconds(1), 3.0, env.ttl, 100_000);
    }
  },
  /** At most 2 loads at once; a load waits up to 10 ms for a slot, else stale (<= 10 s) or rejected. */
  LOAD_SHEDDER {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new LoadShedder<>(env.store, env.ticker, env.counters, env.ttl, 2, Duration.ofMillis(10),
          Duration.ofSeconds(10));
    }
  },
  /** Cache-aside reporting through Monitoring (miss-storm detection): the cost of watching, not a cure. */
  MONITORING {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      Metrics monitoring = new Monitoring(env.ticker, env.counters, Duration.ofSeconds(1), 10, 100_000, storm -> { });
      return new CacheAside<>(env.store, env.ticker, monitoring, env.ttl);
    }
  },
  /** Swr(SingleFlight(Lock(Jitter(Loader)))): jitter 20%, SWR one TTL, stale-if-error 10 s, lease/wait 2 s. */
  LAYERED_STACK {
    @Override
    LoadingStrategy<String, String> strategy(Env env) {
      return new LayeredStack<>(env.store, env.locks, env.ticker, uniform(), env.random, env.executor,
          env.scheduler, env.counters, env.ttl, 0.2, env.ttl, Duration.ofSeconds(10), Duration.ofSeconds(2),
          Duration.ofSeconds(2));
    }
  },
  /** Peer: Caffeine {@code AsyncCache.get(key, mappingFunction)} with expireAfterWrite(TTL): one load per key. */
  CAFFEINE_ASYNC_GET {
    @Override
    boolean supports(StoreType store) {
      return store == StoreType.CAFFEINE;
    }

    @Override
    BenchCache build(Env env) {
      requireCaffeine(env);
      AsyncCache<String, String> cache = Caffeine.newBuilder()
          .executor(env.executor)
          .maximumSize(1_000_000)
          .expireAfterWrite(env.ttl)
          .buildAsync();
      Metrics m = env.counters;
      return new BenchCache() {
        @Override
        public String get(String key) {
          try {
            return cache.get(key, k -> {
              m.record(Event.LOAD_STARTED, k);
              return env.db.loadUnchecked(k);
            }).join();
          } catch (CompletionException e) {
            m.record(Event.LOAD_FAILED, key);
            throw new LoadException(key, rootCause(e));
          }
        }

        @Override
        public void invalidate(String key) {
          cache.synchronous().invalidate(key);
        }
      };
    }
  },
  /**
   * Peer: Caffeine {@code LoadingCache} with refreshAfterWrite(TTL) (one reload on the executor, the old value
   * served meanwhile and kept if the reload fails) and expireAfterWrite(TTL + 10 s), matching our stale-if-error.
   * A value older than the TTL when returned is counted as stale served.
   */
  CAFFEINE_REFRESH_AFTER_WRITE {
    @Override
    boolean supports(StoreType store) {
      return store == StoreType.CAFFEINE;
    }

    @Override
    BenchCache build(Env env) {
      requireCaffeine(env);
      LoadingCache<String, String> cache = Caffeine.newBuilder()
          .executor(env.executor)
          .maximumSize(1_000_000)
          .refreshAfterWrite(env.ttl)
          .expireAfterWrite(env.ttl.plusSeconds(10))
          .build(k -> {
            env.counters.record(Event.LOAD_STARTED, k);
            return env.db.load(k);
          });
      long ttlNanos = env.ttl.toNanos();
      return new BenchCache() {
        @Override
        public String get(String key) {
          String v;
          try {
            v = cache.get(key);
          } catch (CompletionException | IllegalStateException e) {
            env.counters.record(Event.LOAD_FAILED, key);
            throw new LoadException(key, rootCause(e));
          }
          if (System.nanoTime() - Database.loadedAt(v) > ttlNanos) {
            env.counters.record(Event.STALE_SERVED, key);
          }
          return v;
        }

        @Override
        public void invalidate(String key) {
          cache.invalidate(key);
        }
      };
    }
  };

  /** Builds the facade, ready for {@link BenchCache#get}. */
  BenchCache build(Env env) {
    if (!supports(env.storeType)) {
      throw new IllegalArgumentException(this + " does not run on " + env.storeType);
    }
    return new Facade(strategy(env), env);
  }

  public BenchCache create(Env env) {
    return build(env);
  }

  /** The strategy itself; the constants that build their own facade (peers, refresh-ahead) do not use it. */
  LoadingStrategy<String, String> strategy(Env env) {
    throw new UnsupportedOperationException(this + " builds its own facade");
  }

  /** False for a store the strategy cannot run on (the Caffeine peers on Redis: not applicable). */
  boolean supports(StoreType store) {
    return true;
  }

  public boolean runsOn(StoreType store) {
    return supports(store);
  }

  static DoubleSupplier uniform() {
    return () -> ThreadLocalRandom.current().nextDouble();
  }

  void requireCaffeine(Env env) {
    if (env.storeType != StoreType.CAFFEINE) {
      throw new IllegalArgumentException("N/A: " + this + " is an in-process Caffeine cache; it has no "
          + env.storeType + " variant (run it with -p store=CAFFEINE)");
    }
  }

  static Throwable rootCause(Throwable t) {
    while ((t instanceof CompletionException || t instanceof IllegalStateException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** A {@link LoadingStrategy} bound to the env's database and store. */
  static class Facade implements BenchCache {
    private final LoadingStrategy<String, String> strategy;
    private final Env env;

    Facade(LoadingStrategy<String, String> strategy, Env env) {
      this.strategy = strategy;
      this.env = env;
    }

    @Override
    public String get(String key) {
      return strategy.get(key, env.db);
    }

    @Override
    public void invalidate(String key) {
      env.store.invalidate(key);
    }
  }
}
