package stampede.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import stampede.core.Counters;
import stampede.core.LoadingStrategy;
import stampede.core.ManualTicker;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.LayeredStack;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.TwoLevelCoalescing;

/** The coalescing strategies under test, built on N "nodes" of one store kind, with everything they need. */
enum Coalescing {
  SINGLE_FLIGHT(false, true),
  DISTRIBUTED_LOCK(true, true),
  TWO_LEVEL(true, true),
  /** StaleWhileRevalidate(SingleFlight(StoreFill)), as its javadoc recommends for cold keys. */
  STALE_WHILE_REVALIDATE(false, true),
  /** BackgroundRefresh(SingleFlight(StoreFill)): the single flight's double-check drops a late duplicate refresh. */
  BACKGROUND_REFRESH(false, true),
  /**
   * StaleWhileRevalidate(StoreFill): documented as one refresh per key at a time; a caller that read the stale
   * entry just before the refresh ended may start a second one, so only "one at a time" is checked.
   */
  STALE_WHILE_REVALIDATE_PLAIN(false, false),
  /** BackgroundRefresh(StoreFill): as above (see the report: a second refresh in the same window happens). */
  BACKGROUND_REFRESH_PLAIN(false, false),
  /** LayeredStack: Swr(SingleFlight(Lock(Jitter(Loader)))), across nodes. */
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
      case BACKGROUND_REFRESH, BACKGROUND_REFRESH_PLAIN -> TTL.minus(REFRESH_WINDOW).plusMillis(500); // fresh, inside the refresh window
      default -> TTL.plusSeconds(1); // expired
    };
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
      StoreFixture<String> first = kind.open(ticker);
      nodes.add(first);
      int n = distributed ? nodeCount : 1;
      for (int i = 1; i < n; i++) {
        nodes.add(first.node());
      }
      Random random = new Random(seed);
      for (StoreFixture<String> node : nodes) {
        strategies.add(build(node, new Random(random.nextLong())));
      }
    }

    private LoadingStrategy<String, String> build(StoreFixture<String> f, Random random) {
      Duration lease = Duration.ofSeconds(2);
      Duration maxWait = Duration.ofSeconds(10);
      return switch (strategy) {
        // the deliberately broken single flight: SingleFlight without its in-flight map is exactly CacheAside
        case SINGLE_FLIGHT -> Harness.broken()
            ? new CacheAside<>(f.store, ticker, counters, TTL)
            : new SingleFlight<>(f.store, ticker, counters, TTL, maxWait);
        case DISTRIBUTED_LOCK -> new DistributedLock<>(f.store, f.locks, ticker, random, scheduler, counters, TTL,
            lease, maxWait, DistributedLock.Fallback.FAIL);
        case TWO_LEVEL -> new TwoLevelCoalescing<>(f.store, f.locks, ticker, random, scheduler, counters, TTL,
            lease, maxWait, DistributedLock.Fallback.FAIL);
        case STALE_WHILE_REVALIDATE -> new StaleWhileRevalidate<>(f.store, ticker, background, counters,
            new SingleFlight<>(f.store, ticker, counters, new StoreFill<>(f.store, ticker, counters, Ttl.fixed(TTL)),
                maxWait), SWR, SIE);
        case BACKGROUND_REFRESH -> new BackgroundRefresh<>(f.store, ticker, background, counters,
            new SingleFlight<>(f.store, ticker, counters, new StoreFill<>(f.store, ticker, counters, Ttl.fixed(TTL)),
                maxWait), REFRESH_WINDOW, Duration.ofSeconds(1), Duration.ofSeconds(4), 1000);
        case STALE_WHILE_REVALIDATE_PLAIN -> new StaleWhileRevalidate<>(f.store, ticker, background, counters, TTL,
            SWR, SIE);
        case BACKGROUND_REFRESH_PLAIN -> new BackgroundRefresh<>(f.store, ticker, background, counters, TTL,
            REFRESH_WINDOW, Duration.ofSeconds(1), Duration.ofSeconds(4), 1000);
        case LAYERED_STACK -> {
          Random jitter = new Random(random.nextLong());
          yield new LayeredStack<>(f.store, f.locks, ticker, () -> {
            synchronized (jitter) {
              return jitter.nextDouble();
            }
          }, random, background, scheduler, counters, TTL, JITTER, SWR, SIE, lease, maxWait);
        }
      };
    }

    /** Fills the keys once, from one thread, before the first window (background refresh warms them). */
    void prime(List<String> keys, Harness.CountingLoader loader) {
      if (strategy == BACKGROUND_REFRESH || strategy == BACKGROUND_REFRESH_PLAIN) {
        ((BackgroundRefresh<String, String>) strategies.get(0)).warm(keys, loader);
      } else {
        keys.forEach(k -> strategies.get(0).get(k, loader));
      }
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
        for (int i = nodes.size() - 1; i >= 0; i--) {
          nodes.get(i).close();
        }
      }
    }
  }
}
