package stampede.scenarios;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import stampede.core.Ttl;
import stampede.core.StoreFill;
import stampede.jmh.BenchCache;
import stampede.jmh.Env;
import stampede.jmh.StoreType;
import stampede.jmh.StrategyType;
import stampede.jmh.impl.GlobalLockFill;
import stampede.jmh.impl.RedissonLockCache;
import stampede.jmh.impl.StrategyCache;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;

/**
 * One row of a scenario: a strategy of the project or a peer, built on an {@link Env}. Every {@link StrategyType}
 * is one (same name, same settings as in the JMH benchmarks); the scenarios add three peers that only make sense in
 * them:
 * <ul>
 *   <li>{@link #REDISSON_LOCK}: Redisson's {@code RLock} around cache-aside with a double-check (N nodes);</li>
 *   <li>{@link #GLOBAL_LOCK}: one process-wide lock around every load (the locking scenario's mistake);</li>
 *   <li>{@link #ONE_LEASE}: the project's {@code DistributedLock} given one lease name for every key (the same
 *       mistake with the lock's timeout and fallback).</li>
 * </ul>
 */
public record Contender(String name, String description, Set<StoreType> stores, Function<Env, BenchCache> factory) {

  public Contender {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(factory, "factory");
  }

  /** A strategy (or Caffeine peer) of the JMH benchmarks, with its settings there. */
  public static Contender of(StrategyType type) {
    Set<StoreType> stores = EnumSet.noneOf(StoreType.class);
    for (StoreType s : StoreType.values()) {
      if (type.runsOn(s)) {
        stores.add(s);
      }
    }
    return new Contender(type.name(), "StrategyType." + type.name(), stores, type::create);
  }

  public static List<Contender> list(StrategyType... types) {
    return Arrays.stream(types).map(Contender::of).toList();
  }

  /** Every StrategyType but {@code except}. */
  public static List<Contender> allBut(StrategyType... except) {
    List<StrategyType> skip = Arrays.asList(except);
    return Arrays.stream(StrategyType.values()).filter(t -> !skip.contains(t)).map(Contender::of).toList();
  }

  /** Peer: Redisson {@code RLock} around cache-aside with a double-check; a Redisson client per node (env). */
  public static final Contender REDISSON_LOCK = new Contender("REDISSON_LOCK",
      "Redisson 3.52 RLock (tryLock 2 s) around an RBucket cache-aside with a double-check; no lock: load uncached",
      EnumSet.of(StoreType.REDIS), env -> {
        RedissonLockCache cache = env.clusterUris() != null
            ? RedissonLockCache.onCluster(env.clusterUris(), env.keyPrefix + "redisson:", env.db, env.metrics, env.ttl)
            : new RedissonLockCache(env.redisUri(), env.keyPrefix + "redisson:", env.db, env.metrics, env.ttl);
        env.onClose(cache);
        return cache;
      });

  /** Peer (a mistake): one lock for every key around the load, with a double-check. */
  public static final Contender GLOBAL_LOCK = new Contender("GLOBAL_LOCK",
      "cache-aside whose miss path takes one process-wide lock (double-check, load, write): synchronized (cache)",
      EnumSet.allOf(StoreType.class), env -> new StrategyCache(CacheAside.builder(env.store,
          new GlobalLockFill<>(env.store, storeFill(env), env.metrics)).metrics(env.metrics).build(), env.db,
          env.store));

  /** The project's distributed lock with one lease name for every key (lease and wait 2 s, then load uncached). */
  public static final Contender ONE_LEASE = new Contender("ONE_LEASE",
      "DistributedLock (lease 2 s, wait 2 s, then load without caching) whose Locks map every key to one lease",
      EnumSet.allOf(StoreType.class), env -> new StrategyCache(CacheAside.builder(env.store,
          DistributedLock.builder(env.store, new OneLease<>(env.locks, "*"), storeFill(env)).metrics(env.metrics)
              .lease(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(2)).watchdog(env.scheduler).build())
          .metrics(env.metrics).staleIfError(Duration.ofSeconds(10)).build(), env.db, env.store));

  public boolean runsOn(StoreType store) {
    return stores.contains(store);
  }

  public BenchCache create(Env env) {
    if (!runsOn(env.storeType)) {
      throw new IllegalArgumentException(name + " does not run on " + env.storeType);
    }
    return factory.apply(env);
  }

  private static StoreFill<String, String> storeFill(Env env) {
    return new StoreFill<>(env.store, env.metrics, Ttl.fixed(env.ttl));
  }

  @Override
  public String toString() {
    return name;
  }
}
