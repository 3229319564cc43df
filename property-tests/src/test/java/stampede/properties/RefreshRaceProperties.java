package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.strategies.HotKeyProtection;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The "late reader" interleaving, made deterministic: a caller reads the old entry, is paused (by a store
 * wrapper) while another caller's background refresh runs to completion, then resumes and decides, from the
 * old entry it read, to refresh again. One expiry window must still cost one load.
 *
 * <p>Both the refreshers composed over a SingleFlight fill (its double-check sees the newer entry) and the plain ones
 * over a StoreFill (the read path's refresh task re-reads the entry and skips the load if a fresh one was written
 * meanwhile) must pass.
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

  @Provide
  Arbitrary<Refresher> plain() {
    return Arbitraries.of(Refresher.SWR_PLAIN, Refresher.BACKGROUND_REFRESH_PLAIN,
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
      CountingLoader loader = new CountingLoader(ticker, 0);
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
        int before = loader.loads();
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
        check(paused.await(5, TimeUnit.SECONDS), context + ": the late reader never read");
        // meanwhile another caller triggers the refresh, and it completes
        strategy.get(key, loader);
        executor.runAll();
        check(loader.loads() == before + 1, context + ": the refresh did not load once");
        resume.countDown();
        lateReader.join(5_000);
        check(!lateReader.isAlive(), context + ": the late reader hung");
        executor.runAll();
        check(late.get() instanceof String, context + ": the late reader got " + late.get());
        int loads = loader.loads() - before;
        check(loads == 1, context + ": " + loads + " loads in one window; a caller that read the "
            + "entry before the refresh ended refreshed again (" + counters + ")");
      }
    }
  }

  private static LoadingStrategy<String, String> build(Refresher refresher, CacheStore<String, String> store,
      ManualTicker ticker, ManualExecutor executor, Counters counters) {
    StoreFill<String, String> plainFill = new StoreFill<>(store, counters, Ttl.fixed(TTL));
    SingleFlight<String, String> singleFlight = SingleFlight.builder(store, plainFill).metrics(counters)
        .maxWait(Duration.ofSeconds(5)).build();
    return switch (refresher) {
      case SWR_OVER_SINGLE_FLIGHT -> swr(store, singleFlight, executor, counters);
      case SWR_PLAIN -> swr(store, plainFill, executor, counters);
      case BACKGROUND_REFRESH_OVER_SINGLE_FLIGHT -> backgroundRefresh(store, singleFlight, ticker, executor, counters);
      case BACKGROUND_REFRESH_PLAIN -> backgroundRefresh(store, plainFill, ticker, executor, counters);
      case HOT_KEY_PLAIN -> {
        HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(TTL).metrics(counters)
            .ticker(ticker).hotAt(1, Duration.ofHours(1)).hotTtlMultiplier(2.0).prewarmWindow(Duration.ofSeconds(2))
            .maxTrackedKeys(100).build();
        yield CacheAside.builder(store, new StoreFill<>(store, counters, hot)).metrics(counters).policy(hot, executor)
            .build();
      }
    };
  }

  private static CacheAside<String, String> swr(CacheStore<String, String> store, Fill<String, String> fill,
      ManualExecutor executor, Counters counters) {
    return CacheAside.builder(store, fill).metrics(counters)
        .policy(new StaleWhileRevalidate<>(Duration.ofSeconds(5)), executor).staleIfError(Duration.ZERO).build();
  }

  private static BackgroundRefresh<String, String> backgroundRefresh(CacheStore<String, String> store,
      Fill<String, String> fill, ManualTicker ticker, ManualExecutor executor, Counters counters) {
    return BackgroundRefresh.builder(store, fill, executor).metrics(counters).ticker(ticker)
        .refreshWindow(Duration.ofSeconds(2)).backoff(Duration.ofSeconds(1), Duration.ofSeconds(4))
        .maxTrackedKeys(100).build();
  }
}
