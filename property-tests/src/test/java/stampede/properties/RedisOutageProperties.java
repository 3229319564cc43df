package stampede.properties;

import static stampede.properties.Harness.check;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.HotKeyProtection;
import stampede.strategies.LayeredStack;
import stampede.strategies.ProbabilisticEarlyExpiration;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.StoreGuard;
import stampede.strategies.TwoLevelCoalescing;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualTicker;

/**
 * Redis stopped before the calls or in the middle of a load, then restarted, or paused (slow), on a dedicated
 * embedded Redis (not the shared one): every call returns within a bound with a value or the documented error,
 * no store exception leaks, and afterwards no lock is left over and the strategy loads and caches again. Over a
 * {@link StoreGuard}, Redis down costs at most one load per key per process.
 */
class RedisOutageProperties {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration LEASE = Duration.ofMillis(400);
  private static final Duration MAX_WAIT = Duration.ofSeconds(2);
  private static final Duration CALL_BOUND = Duration.ofSeconds(15);
  private static final Duration RETENTION = Duration.ofMinutes(1);
  private static EmbeddedRedis redis;
  private static RedisClient client;
  private static int namespace;

  @BeforeContainer
  static void startRedis() {
    redis = EmbeddedRedis.start();
    client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
  }

  @AfterContainer
  static void stopRedis() {
    if (client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** The read paths and lock fallbacks under an outage; each is a CacheAside over the named fill. */
  enum Kind {
    CACHE_ASIDE, SINGLE_FLIGHT, STALE_WHILE_REVALIDATE, LOCK_LOAD_WITHOUT_CACHING,
    /**
     * The lock's old SERVE_STALE_OR_LOAD fallback, now a composition: the lock loads without caching, and the read
     * path's {@code staleIfError} (one retention) answers with the entry it read if that load fails.
     */
    STALE_IF_ERROR_OVER_LOCK,
    LOCK_FAIL, TWO_LEVEL
  }

  /** One node: a store and its leases, each on its own connection, on the shared prefix. */
  private record Node(RedisStore<String, String> store, RedisLocks<String> locks) implements AutoCloseable {
    static Node open(ManualTicker ticker, String prefix) {
      RedisKeys<String> keys = RedisKeys.strings(prefix);
      RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker)
          .retention(RETENTION).build();
      return new Node(store, new RedisLocks<>(client, keys));
    }

    @Override
    public void close() {
      locks.close();
      store.close();
    }
  }

  /** When Redis goes away. */
  enum When { BEFORE_CALLS, DURING_LOAD }

  @Property(tries = 20)
  void outageGivesValueOrClearErrorAndRecovers(@ForAll Kind kind, @ForAll When when,
      @ForAll @IntRange(min = 2, max = 8) int callers, @ForAll @IntRange(min = 1, max = 2) int nodeCount,
      @ForAll boolean primed, @ForAll @IntRange(min = 1, max = 20) int loadMillis, @ForAll long seed)
      throws Exception {
    ensureUp();
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    String prefix = "outage" + (++namespace) + ":";
    List<Node> nodes = new ArrayList<>();
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    Harness.TrackingExecutor background = new Harness.TrackingExecutor();
    try {
      Random random = new Random(seed);
      List<LoadingStrategy<String, String>> strategies = new ArrayList<>();
      for (int i = 0; i < nodeCount; i++) {
        Node node = Node.open(ticker, prefix);
        nodes.add(node);
        strategies.add(build(kind, node, counters, new Random(random.nextLong()), scheduler, background));
      }
      String key = "k";
      String context = kind + " on a dedicated Redis x" + nodeCount + " node(s), key '" + key + "', outage " + when
          + ", " + callers + " callers, " + (primed ? "stale entry present" : "cold");
      CountingLoader loader = new CountingLoader(ticker, loadMillis);
      if (primed) {
        strategies.get(0).get(key, loader);
        ticker.advance(TTL.plusSeconds(1)); // stale (within stale-while-revalidate)
        background.awaitIdle(Duration.ofSeconds(5));
      }
      AtomicBoolean stopped = new AtomicBoolean();
      Loader<String, String> outageLoader = k -> {
        if (when == When.DURING_LOAD && stopped.compareAndSet(false, true)) {
          redis.stop(); // Redis dies while this load runs
        }
        return loader.load(k);
      };
      if (when == When.BEFORE_CALLS) {
        redis.stop();
        stopped.set(true);
      }
      List<Object> results = Callers.race(callers, i -> 0, i -> strategies.get(i % nodeCount).get(key, outageLoader),
          CALL_BOUND, context);
      background.awaitIdle(Duration.ofSeconds(10));
      check(stopped.get(), context + ": Redis was never stopped (no load ran?)");
      for (int i = 0; i < callers; i++) {
        Object r = results.get(i);
        if (r instanceof String value) {
          check(value.startsWith(key + "#"), context + ": caller " + i + " got " + value);
        } else if (kind == Kind.LOCK_FAIL && r instanceof LoadException e && e.getMessage().contains("fallback FAIL")) {
          continue; // the documented, clear error
        } else {
          throw new AssertionError(context + ": caller " + i + " got neither a value nor the documented error: " + r
              + (r instanceof StoreException ? " (a store failure leaked)" : ""), (Throwable) r);
        }
      }
      check(counters.get(Event.STORE_ERROR) > 0, context + ": no STORE_ERROR recorded ("
          + counters + ")");
      // Redis comes back, empty
      redis.restart();
      for (Node node : nodes) {
        check(reconnected(node), context + ": a node did not reconnect within 20 s");
      }
      for (Node node : nodes) {
        check(node.locks.holder(key) == null, context + ": lock left over after restart: "
            + node.locks.holder(key));
      }
      long t0 = System.nanoTime();
      long acquired = nodes.get(0).locks.tryAcquire(key, "probe", 1000);
      check(acquired > 0 && nodes.get(0).locks.release(key, "probe"), context
          + ": the key's lock cannot be taken after restart (token " + acquired + ")");
      int before = loader.loads();
      String value = strategies.get(0).get(key, loader);
      long took = System.nanoTime() - t0;
      check(loader.loads() == before + 1 && value.startsWith(key + "#"), context
          + ": after restart the strategy should load once, loaded " + (loader.loads() - before));
      check(took < MAX_WAIT.toNanos(), context + ": the first call after restart took "
          + Duration.ofNanos(took));
      background.awaitIdle(Duration.ofSeconds(5));
      check(nodes.get(0).store.get(key) != null, context + ": nothing cached after restart");
    } finally {
      if (!redis.isRunning()) {
        redis.restart();
      }
      background.close();
      scheduler.shutdownNow();
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
      nodes.forEach(Node::close);
    }
  }

  /**
   * Redis slow rather than down: {@code CLIENT PAUSE} holds every command for three times the client's 500 ms
   * timeout. Every call still returns within a bound, with a loaded value, a stale one, or the documented
   * {@code fallback FAIL} error; the timeouts are counted as STORE_ERROR; once the pause is over the strategy
   * answers and caches again.
   */
  @Property(tries = 8)
  void slowRedisTimesOutToTheLoader(@ForAll Kind kind, @ForAll @IntRange(min = 2, max = 6) int callers,
      @ForAll boolean primed, @ForAll long seed) throws Exception {
    ensureUp();
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    String prefix = "slow" + (++namespace) + ":";
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    Harness.TrackingExecutor background = new Harness.TrackingExecutor();
    try (Node node = Node.open(ticker, prefix);
        var admin = client.connect()) {
      RedisStore<String, String> store = node.store;
      LoadingStrategy<String, String> strategy = build(kind, node, counters, new Random(seed), scheduler, background);
      String key = "k";
      String context = kind + " on a paused Redis, key '" + key + "', " + callers + " callers, "
          + (primed ? "stale entry present" : "cold");
      CountingLoader loader = new CountingLoader(ticker, 5);
      if (primed) {
        strategy.get(key, loader);
        ticker.advance(TTL.plusSeconds(1));
        background.awaitIdle(Duration.ofSeconds(5));
      }
      long pauseMillis = 1500;
      long pausedAt = System.nanoTime();
      admin.sync().clientPause(pauseMillis);
      List<Object> results = Callers.race(callers, i -> 0, i -> strategy.get(key, loader), Duration.ofSeconds(10),
          context);
      for (int i = 0; i < callers; i++) {
        Object r = results.get(i);
        boolean documented = r instanceof String v && v.startsWith(key + "#")
            || kind == Kind.LOCK_FAIL && r instanceof LoadException e && e.getMessage().contains("fallback FAIL");
        if (!documented) {
          throw new AssertionError(context + ": caller " + i + " got neither a value nor the documented error: " + r
              + (r instanceof StoreException ? " (a store failure leaked)" : ""), r instanceof Throwable t ? t : null);
        }
      }
      long raceMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
      check(counters.get(Event.STORE_ERROR) > 0, context
          + ": no STORE_ERROR recorded while Redis was paused (" + counters + ", calls took " + raceMillis + " ms)");
      background.awaitIdle(Duration.ofSeconds(10));
      // the pause ends: the strategy answers from Redis again and a value is cached
      check(reconnected(node), context + ": Redis did not answer after the pause");
      Thread.sleep(100); // commands that timed out client-side still run on Redis once it is unpaused
      ticker.advance(TTL.plusSeconds(10)); // past every value written so far, including stale bounds
      String value = strategy.get(key, loader);
      background.awaitIdle(Duration.ofSeconds(5));
      check(value.startsWith(key + "#") && store.get(key) != null, context
          + ": after the pause the strategy returned " + value + " and cached " + store.get(key));
    } finally {
      background.close();
      scheduler.shutdownNow();
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The strategies that coalesce loads in a process, each over a {@link StoreGuard} on the node's store and leases. */
  enum Guarded {
    SINGLE_FLIGHT, STALE_WHILE_REVALIDATE, XFETCH, HOT_KEY_PROTECTION, BACKGROUND_REFRESH, DISTRIBUTED_LOCK,
    TWO_LEVEL, LAYERED_STACK
  }

  /**
   * Redis down (stopped before the calls): at most one load per key per process, for every strategy that coalesces
   * loads in a process, over a store guard. Callers on 1 or 2 nodes (processes), in up to 3 rounds a second apart
   * (within the TTL), on 1 to 3 keys: each node loads each key once and serves it from its guard's copy after that.
   * Unguarded, every call missed: a load per caller, or per in-process flight, every round.
   */
  @Property(tries = 20)
  void redisDownAtMostOneLoadPerKeyPerProcess(@ForAll Guarded kind, @ForAll @IntRange(min = 2, max = 12) int callers,
      @ForAll @IntRange(min = 1, max = 3) int keyCount, @ForAll @IntRange(min = 1, max = 2) int nodeCount,
      @ForAll @IntRange(min = 1, max = 3) int rounds, @ForAll @IntRange(min = 0, max = 10) int loadMillis,
      @ForAll long seed) throws Exception {
    ensureUp();
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    String prefix = "guarded" + (++namespace) + ":";
    List<Node> nodes = new ArrayList<>();
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    Harness.TrackingExecutor background = new Harness.TrackingExecutor();
    try {
      Random random = new Random(seed);
      List<LoadingStrategy<String, String>> strategies = new ArrayList<>();
      List<CountingLoader> loaders = new ArrayList<>();
      for (int i = 0; i < nodeCount; i++) {
        Node node = Node.open(ticker, prefix);
        nodes.add(node);
        strategies.add(guarded(kind, node, ticker, counters, new Random(random.nextLong()), scheduler, background));
        loaders.add(new CountingLoader(ticker, loadMillis));
      }
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < keyCount; k++) {
        keys.add("key" + k);
      }
      redis.stop();
      String context = kind + " over a StoreGuard, Redis stopped, x" + nodeCount + " node(s), " + callers
          + " callers on " + keyCount + " key(s), " + rounds + " round(s)";
      for (int r = 0; r < rounds; r++) {
        List<Object> results = Callers.race(callers, i -> 0, i -> strategies.get(i % nodeCount)
            .get(keys.get(i % keyCount), loaders.get(i % nodeCount)), CALL_BOUND, context);
        for (int i = 0; i < callers; i++) {
          Object result = results.get(i);
          if (!(result instanceof String value) || !value.startsWith(keys.get(i % keyCount) + "#")) {
            throw new AssertionError(context + ", round " + r + ": caller " + i + " got " + result,
                result instanceof Throwable t ? t : null);
          }
        }
        check(background.awaitIdle(Duration.ofSeconds(10)), context + ": background work did not finish");
        ticker.advance(Duration.ofSeconds(1));
      }
      for (int n = 0; n < nodeCount; n++) {
        for (String key : keys) {
          check(loaders.get(n).loadsOf(key) <= 1, context + ": node " + n + " loaded '" + key + "' "
              + loaders.get(n).loadsOf(key) + " times (" + counters + ")");
        }
      }
    } finally {
      if (!redis.isRunning()) {
        redis.restart();
      }
      background.close();
      scheduler.shutdownNow();
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
      nodes.forEach(Node::close);
    }
  }

  private static LoadingStrategy<String, String> guarded(Guarded kind, Node node, ManualTicker ticker,
      Counters counters, Random random, ScheduledThreadPoolExecutor scheduler, Harness.TrackingExecutor background) {
    if (kind == Guarded.LAYERED_STACK) {
      return LayeredStack.builder(node.store, node.locks, TTL, background).metrics(counters).lock(LEASE, MAX_WAIT)
          .build();
    }
    StoreGuard<String, String> g = StoreGuard.builder(node.store, node.locks).metrics(counters).ticker(ticker).build();
    StoreFill<String, String> storeFill = new StoreFill<>(g, counters, Ttl.fixed(TTL));
    SingleFlight<String, String> singleFlight = SingleFlight.builder(g, storeFill).metrics(counters).maxWait(MAX_WAIT)
        .build();
    DistributedLock<String, String> lock = DistributedLock.builder(g, g, storeFill).metrics(counters).tokens(random)
        .watchdog(scheduler).lease(LEASE).maxWait(MAX_WAIT).build();
    return switch (kind) {
      case SINGLE_FLIGHT -> CacheAside.builder(g, singleFlight).metrics(counters).build();
      case STALE_WHILE_REVALIDATE -> CacheAside.builder(g, singleFlight).metrics(counters)
          .policy(new StaleWhileRevalidate<>(Duration.ofSeconds(5)), background).build();
      case XFETCH -> CacheAside.builder(g, singleFlight).metrics(counters)
          .policy(new ProbabilisticEarlyExpiration<>(random::nextDouble, 1.0), background).build();
      case HOT_KEY_PROTECTION -> {
        HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(TTL).ticker(ticker).build();
        yield CacheAside.builder(g, SingleFlight.builder(g, new StoreFill<>(g, counters, hot)).metrics(counters)
            .maxWait(MAX_WAIT).build()).metrics(counters).policy(hot, background).build();
      }
      case BACKGROUND_REFRESH -> BackgroundRefresh.builder(g, singleFlight, background).metrics(counters)
          .ticker(ticker).refreshWindow(Duration.ofSeconds(2)).build();
      case DISTRIBUTED_LOCK -> CacheAside.builder(g, lock).metrics(counters).build();
      case TWO_LEVEL -> CacheAside.builder(g, new TwoLevelCoalescing<>(g, lock, counters)).metrics(counters).build();
      case LAYERED_STACK -> throw new AssertionError("built above");
    };
  }

  /**
   * {@link stampede.core.Locks#tryAcquire} promises a token "strictly greater than every token handed out before
   * for key", also across a restart: Redis without persistence comes back empty and a plain counter would start
   * over, so a holder from before the restart, finishing a slow load, would carry a higher token than the new
   * holder and overwrite its newer value. RedisLocks floors its tokens at Redis's clock in microseconds.
   */
  @Property(tries = 5)
  void fencingSurvivesRestart(@ForAll @IntRange(min = 2, max = 5) int acquisitionsBefore) throws Exception {
    ensureUp();
    ManualTicker ticker = new ManualTicker();
    String prefix = "fence" + (++namespace) + ":";
    try (Node oldNode = Node.open(ticker, prefix)) {
      String key = "k";
      long oldToken = 0;
      for (int i = 0; i < acquisitionsBefore; i++) {
        oldToken = oldNode.locks.tryAcquire(key, "old", 60_000);
        if (i < acquisitionsBefore - 1) {
          oldNode.locks.release(key, "old");
        }
      }
      // the old holder (token oldToken) is still loading when Redis restarts, empty
      redis.stop();
      redis.restart();
      check(reconnected(oldNode), "Redis did not come back");
      long newToken = oldNode.locks.tryAcquire(key, "new", 60_000);
      long now = ticker.read();
      oldNode.store.put(key, new Entry<>("new", now, now + TTL.toNanos(), 1, newToken));
      boolean oldWritten = oldNode.store.put(key, new Entry<>("old", now, now + TTL.toNanos(), 1, oldToken));
      check(newToken > oldToken && !oldWritten && "new".equals(oldNode.store.get(key).value()),
          "RedisStore on a restarted Redis, key '" + key + "': token after restart " + newToken + " <= token "
              + oldToken + " held across the restart; the old holder's late write " + (oldWritten ? "was accepted"
              : "was refused") + " and the store now holds '" + oldNode.store.get(key).value() + "'");
    }
  }

  private static LoadingStrategy<String, String> build(Kind kind, Node node, Counters counters, Random random,
      ScheduledThreadPoolExecutor scheduler, Harness.TrackingExecutor background) {
    RedisStore<String, String> store = node.store;
    StoreFill<String, String> storeFill = new StoreFill<>(store, counters, Ttl.fixed(TTL));
    return switch (kind) {
      case CACHE_ASIDE -> readPath(store, storeFill, counters).build();
      case SINGLE_FLIGHT -> readPath(store, singleFlight(store, storeFill, counters), counters).build();
      case STALE_WHILE_REVALIDATE -> readPath(store, singleFlight(store, storeFill, counters), counters)
          .policy(new StaleWhileRevalidate<>(Duration.ofSeconds(5)), background).staleIfError(Duration.ofSeconds(8))
          .build();
      case LOCK_LOAD_WITHOUT_CACHING -> readPath(store, lock(node, storeFill, counters, random, scheduler,
          DistributedLock.Fallback.LOAD_WITHOUT_CACHING), counters).build();
      case STALE_IF_ERROR_OVER_LOCK -> readPath(store, lock(node, storeFill, counters, random, scheduler,
          DistributedLock.Fallback.LOAD_WITHOUT_CACHING), counters).staleIfError(RETENTION).build();
      case LOCK_FAIL -> readPath(store, lock(node, storeFill, counters, random, scheduler,
          DistributedLock.Fallback.FAIL), counters).build();
      case TWO_LEVEL -> readPath(store, new TwoLevelCoalescing<>(store, lock(node, storeFill, counters, random,
          scheduler, DistributedLock.Fallback.LOAD_WITHOUT_CACHING), counters), counters).build();
    };
  }

  private static CacheAside.Builder<String, String> readPath(RedisStore<String, String> store,
      Fill<String, String> fill, Counters counters) {
    return CacheAside.builder(store, fill).metrics(counters);
  }

  private static SingleFlight<String, String> singleFlight(RedisStore<String, String> store,
      Fill<String, String> fill, Counters counters) {
    return SingleFlight.builder(store, fill).metrics(counters).maxWait(MAX_WAIT).build();
  }

  private static DistributedLock<String, String> lock(Node node, Fill<String, String> fill, Counters counters,
      Random random, ScheduledThreadPoolExecutor scheduler, DistributedLock.Fallback fallback) {
    return DistributedLock.builder(node.store, node.locks, fill).metrics(counters).tokens(random).watchdog(scheduler)
        .lease(LEASE).maxWait(MAX_WAIT).fallback(fallback).build();
  }

  private static void ensureUp() {
    if (!redis.isRunning()) {
      redis.restart();
    }
  }

  /** Waits (sleeping) until the node answers again after the restart, on its store's and its leases' connections. */
  private static boolean reconnected(Node node) throws InterruptedException {
    return Harness.await(() -> {
      try {
        node.store.get("probe");
        node.locks.holder("probe");
        return true;
      } catch (StoreException e) {
        return false;
      }
    }, Duration.ofSeconds(20));
  }
}
