package stampede.properties;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.LoadingStrategy;
import stampede.core.ManualTicker;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.core.testing.ManualExecutor;
import stampede.core.testing.RacingStore;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.HotKeyProtection;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;

/**
 * The "late reader" interleaving, made deterministic: a caller reads the old entry, is paused (by a store
 * wrapper) while another caller's background refresh runs to completion, then resumes and decides, from the
 * old entry it read, to refresh again. One expiry window must still cost one load.
 *
 * <p>The refreshers composed over a SingleFlight fill pass (its double-check sees the newer entry). The plain
 * refreshers (StoreFill) load a second time: see {@link #plainRefreshersLoadOncePerWindow}, disabled until the
 * strategies are fixed (reported, not fixed here: property-tests does not own strategies/).
 */
class RefreshRaceProperties {
  private static final Duration TTL = Duration.ofSeconds(10);

  /** The refreshers under test. */
  enum Refresher { SWR_OVER_SINGLE_FLIGHT, BACKGROUND_REFRESH_OVER_SINGLE_FLIGHT, SWR_PLAIN, BACKGROUND_REFRESH_PLAIN,
    HOT_KEY_PLAIN }

  @Property(tries = 10)
  void composedRefreshersLoadOncePerWindow(@ForAll StoreKind kind, @ForAll boolean backgroundRefresh,
      @ForAll @IntRange(min = 1, max = 3) int windows) throws Exception {
    lateReaderCostsOneLoadPerWindow(kind, backgroundRefresh ? Refresher.BACKGROUND_REFRESH_OVER_SINGLE_FLIGHT
        : Refresher.SWR_OVER_SINGLE_FLIGHT, windows);
  }

  @Property(tries = 10)
  void plainRefreshersLoadOncePerWindow(@ForAll StoreKind kind, @ForAll("plain") Refresher refresher,
      @ForAll @IntRange(min = 1, max = 3) int windows) throws Exception {
    lateReaderCostsOneLoadPerWindow(kind, refresher, windows);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<Refresher> plain() {
    return net.jqwik.api.Arbitraries.of(Refresher.SWR_PLAIN, Refresher.BACKGROUND_REFRESH_PLAIN,
        Refresher.HOT_KEY_PLAIN);
  }

  private static void lateReaderCostsOneLoadPerWindow(StoreKind kind, Refresher refresher, int windows)
      throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    ManualExecutor executor = new ManualExecutor();
    try (StoreFixture<String> f = kind.open(ticker)) {
      RacingStore<String, String> store = new RacingStore<>(f.store);
      LoadingStrategy<String, String> strategy = build(refresher, store, ticker, executor, counters);
      Harness.CountingLoader loader = new Harness.CountingLoader(ticker, 0);
      String key = "k";
      strategy.get(key, loader); // first load (hot-key: the first request already makes the key hot)
      executor.runAll();
      Duration step = switch (refresher) {
        case BACKGROUND_REFRESH_OVER_SINGLE_FLIGHT, BACKGROUND_REFRESH_PLAIN -> TTL.minusSeconds(1); // in window
        case HOT_KEY_PLAIN -> TTL.multipliedBy(2).minusSeconds(1); // hot TTL 2 x ttl, within prewarm window
        default -> TTL.plusSeconds(1); // stale, within stale-while-revalidate
      };
      for (int w = 0; w < windows; w++) {
        ticker.advance(step);
        int before = loader.loads.get();
        String context = refresher + " on " + kind + ", key '" + key + "', window " + w;
        // the late reader reads the old entry and is paused right after the read
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.afterNextGet(() -> {
          paused.countDown();
          try {
            resume.await(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        AtomicReference<Object> late = new AtomicReference<>();
        Thread lateReader = new Thread(() -> {
          try {
            late.set(strategy.get(key, loader));
          } catch (Throwable t) {
            late.set(t);
          }
        }, "late-reader");
        lateReader.start();
        LoadErrorProperties.check(paused.await(5, TimeUnit.SECONDS), context + ": the late reader never read");
        // meanwhile another caller triggers the refresh, and it completes
        strategy.get(key, loader);
        executor.runAll();
        LoadErrorProperties.check(loader.loads.get() == before + 1, context + ": the refresh did not load once");
        resume.countDown();
        lateReader.join(5_000);
        LoadErrorProperties.check(!lateReader.isAlive(), context + ": the late reader hung");
        executor.runAll();
        LoadErrorProperties.check(late.get() instanceof String, context + ": the late reader got " + late.get());
        int loads = loader.loads.get() - before;
        LoadErrorProperties.check(loads == 1, context + ": " + loads + " loads in one window; a caller that read the "
            + "entry before the refresh ended refreshed again (" + counters + ")");
      }
    }
  }

  private static LoadingStrategy<String, String> build(Refresher refresher, CacheStore<String, String> store,
      ManualTicker ticker, ManualExecutor executor, Counters counters) {
    StoreFill<String, String> plainFill = new StoreFill<>(store, ticker, counters, Ttl.fixed(TTL));
    SingleFlight<String, String> singleFlight = new SingleFlight<>(store, ticker, counters, plainFill,
        Duration.ofSeconds(5));
    Duration swr = Duration.ofSeconds(5);
    return switch (refresher) {
      case SWR_OVER_SINGLE_FLIGHT -> new StaleWhileRevalidate<>(store, ticker, executor, counters, singleFlight, swr,
          Duration.ZERO);
      case SWR_PLAIN -> new StaleWhileRevalidate<>(store, ticker, executor, counters, plainFill, swr, Duration.ZERO);
      case BACKGROUND_REFRESH_OVER_SINGLE_FLIGHT -> new BackgroundRefresh<>(store, ticker, executor, counters,
          singleFlight, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(4), 100);
      case BACKGROUND_REFRESH_PLAIN -> new BackgroundRefresh<>(store, ticker, executor, counters, plainFill,
          Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(4), 100);
      case HOT_KEY_PLAIN -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 1, Duration.ofHours(1),
          2.0, Duration.ofSeconds(2), 100);
    };
  }
}
