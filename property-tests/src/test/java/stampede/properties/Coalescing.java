package stampede.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.LayeredStack;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.TwoLevelCoalescing;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/** The coalescing strategies under test, built on N "nodes" of one store kind, with everything they need. */
enum Coalescing {
  SINGLE_FLIGHT(false, true),
  DISTRIBUTED_LOCK(true, true),
  TWO_LEVEL(true, true),
  /** CacheAside + StaleWhileRevalidate over SingleFlight(StoreFill), as its javadoc recommends for cold keys. */
  STALE_WHILE_REVALIDATE(false, true),
  /** BackgroundRefresh over SingleFlight(StoreFill): the single flight's double-check drops a late duplicate. */
  BACKGROUND_REFRESH(false, true),
  /**
   * CacheAside + StaleWhileRevalidate over StoreFill: documented as one refresh per key at a time; a caller that read
   * the stale entry just before the refresh ended may start a second one, so only "one at a time" is checked.
   */
  STALE_WHILE_REVALIDATE_PLAIN(false, false),
  /** BackgroundRefresh over StoreFill: as above. */
  BACKGROUND_REFRESH_PLAIN(false, false),
  /** LayeredStack: CacheAside + SWR over TwoLevelCoalescing = SingleFlight(Lock(StoreFill(TtlJitter))), on nodes. */
  LAYERED_STACK(true, true);

  /** LayeredStack's TTL jitter fraction: values live TTL x (1 +- JITTER). */
  static final double JITTER = 0.1;
  static final Duration TTL = Duration.ofSeconds(10);
  static final Duration SWR = Duration.ofSeconds(5);
  static final Duration SIE = Duration.ofSeconds(8);
  static final Duration REFRESH_WINDOW = Duration.ofSeconds(2);

  /** Whether the strategy coordinates across nodes (one load per key across all of them). */
  final boolean distributed;

  /** Whether exactly one load per key per window is promised; else at least one, and one at a time. */
  final boolean exactPerWindow;

  Coalescing(boolean distributed, boolean exactPerWindow) {
    this.distributed = distributed;
    this.exactPerWindow = exactPerWindow;
  }

  /** Whether the keys are loaded once before the first window (the strategy refreshes existing entries). */
  boolean primed() {
    return this != SINGLE_FLIGHT && this != DISTRIBUTED_LOCK && this != TWO_LEVEL;
  }

  /** How far to move the ticker between expiry windows so the next window needs a (re)load. */
  Duration windowStep() {
    return switch (this) {
      case STALE_WHILE_REVALIDATE, STALE_WHILE_REVALIDATE_PLAIN -> TTL.plusSeconds(1); // stale, within swr
      case LAYERED_STACK -> Duration.ofNanos((long) (TTL.toNanos() * (1 + JITTER))).plusSeconds(1); // stale <= 3 s
      // fresh, inside the refresh window
      case BACKGROUND_REFRESH, BACKGROUND_REFRESH_PLAIN -> TTL.minus(REFRESH_WINDOW).plusMillis(500);
      default -> TTL.plusSeconds(1); // expired
    };
  }

  /** The naive baseline: CacheAside over a StoreFill (values fresh for {@link #TTL}), nothing coalesced. */
  static CacheAside<String, String> cacheAside(CacheStore<String, String> store, Metrics metrics) {
    return CacheAside.builder(store, new StoreFill<>(store, metrics, Ttl.fixed(TTL))).metrics(metrics).build();
  }

  /** The name used in failure messages: the broken single flight says so. */
  String label() {
    return this == SINGLE_FLIGHT && Harness.broken() ? "BrokenSingleFlight" : name();
  }

  /** A running setup: one strategy per node, plus its background machinery. */
  final class Setup implements AutoCloseable {
    final ManualTicker ticker = new ManualTicker();
    final Counters counters = new Counters();
    final List<StoreFixture<String>> nodes = new ArrayList<>();
    final List<LoadingStrategy<String, String>> strategies = new ArrayList<>();
    final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    final Harness.TrackingExecutor background = new Harness.TrackingExecutor();
    final Coalescing strategy = Coalescing.this;
    final StoreKind kind;

    Setup(StoreKind kind, int nodeCount, long seed) {
      this.kind = kind;
      scheduler.setRemoveOnCancelPolicy(true);
      nodes.addAll(Harness.openNodes(kind, ticker, distributed ? nodeCount : 1));
      Random random = new Random(seed);
      for (StoreFixture<String> node : nodes) {
        strategies.add(build(node, new Random(random.nextLong())));
      }
    }

    private LoadingStrategy<String, String> build(StoreFixture<String> f, Random random) {
      Duration lease = Duration.ofSeconds(2);
      Duration maxWait = Duration.ofSeconds(10);
      CacheStore<String, String> store = f.store;
      StoreFill<String, String> storeFill = new StoreFill<>(store, counters, Ttl.fixed(TTL));
      return switch (strategy) {
        // the deliberately broken single flight: CacheAside without its SingleFlight
        case SINGLE_FLIGHT -> Harness.broken() ? readPath(store, storeFill)
            : readPath(store, singleFlight(store, storeFill, maxWait));
        case DISTRIBUTED_LOCK -> readPath(store, lock(f, storeFill, random, lease, maxWait));
        case TWO_LEVEL -> readPath(store, new TwoLevelCoalescing<>(store, lock(f, storeFill, random, lease, maxWait),
            counters));
        case STALE_WHILE_REVALIDATE -> swr(store, singleFlight(store, storeFill, maxWait));
        case BACKGROUND_REFRESH -> backgroundRefresh(store, singleFlight(store, storeFill, maxWait));
        case STALE_WHILE_REVALIDATE_PLAIN -> swr(store, storeFill);
        case BACKGROUND_REFRESH_PLAIN -> backgroundRefresh(store, storeFill);
        // LayeredStack draws its own jitter and owner tokens: the seed does not reach them
        case LAYERED_STACK -> LayeredStack.builder(store, f.locks, TTL, background).metrics(counters).jitter(JITTER)
            .stale(SWR, SIE).lock(lease, maxWait).build();
      };
    }

    private CacheAside<String, String> readPath(CacheStore<String, String> store, Fill<String, String> fill) {
      return CacheAside.builder(store, fill).metrics(counters).build();
    }

    private SingleFlight<String, String> singleFlight(CacheStore<String, String> store, Fill<String, String> fill,
        Duration maxWait) {
      return SingleFlight.builder(store, fill).metrics(counters).maxWait(maxWait).build();
    }

    private DistributedLock<String, String> lock(StoreFixture<String> f, Fill<String, String> fill, Random random,
        Duration lease, Duration maxWait) {
      return DistributedLock.builder(f.store, f.locks, fill).metrics(counters).tokens(random).watchdog(scheduler)
          .lease(lease).maxWait(maxWait).fallback(DistributedLock.Fallback.FAIL).build();
    }

    private CacheAside<String, String> swr(CacheStore<String, String> store, Fill<String, String> fill) {
      return CacheAside.builder(store, fill).metrics(counters).policy(new StaleWhileRevalidate<>(SWR), background)
          .staleIfError(SIE).build();
    }

    private BackgroundRefresh<String, String> backgroundRefresh(CacheStore<String, String> store,
        Fill<String, String> fill) {
      return BackgroundRefresh.builder(store, fill, background).metrics(counters).ticker(ticker)
          .refreshWindow(REFRESH_WINDOW).backoff(Duration.ofSeconds(1), Duration.ofSeconds(4)).maxTrackedKeys(1000)
          .build();
    }

    /** Fills the keys once, from one thread, before the first window (background refresh warms them). */
    void prime(List<String> keys, CountingLoader loader) {
      if (strategy == BACKGROUND_REFRESH || strategy == BACKGROUND_REFRESH_PLAIN) {
        ((BackgroundRefresh<String, String>) strategies.get(0)).warm(keys, loader);
      } else {
        keys.forEach(k -> strategies.get(0).get(k, loader));
      }
    }

    /** The naive baseline on the first node. */
    CacheAside<String, String> cacheAside() {
      return Coalescing.cacheAside(nodes.get(0).store, counters);
    }

    /** The strategy caller {@code i} uses: callers are spread over the nodes. */
    LoadingStrategy<String, String> forCaller(int i) {
      return strategies.get(i % strategies.size());
    }

    String describe() {
      return strategy.label() + " on " + kind + " x" + nodes.size() + " node(s)";
    }

    @Override
    public void close() {
      try {
        background.close();
      } finally {
        scheduler.shutdownNow();
        try {
          scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        Harness.closeAll(nodes);
      }
    }
  }
}
