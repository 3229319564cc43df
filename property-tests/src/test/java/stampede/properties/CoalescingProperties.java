package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.strategies.CacheAside;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * At most one loader run per key per expiry window, for every coalescing strategy, on both stores, with
 * generated keys, callers, nodes, arrival jitter and load times; and the naive baseline shown to stampede.
 * With {@code -Dstampede.broken=true} SINGLE_FLIGHT is CacheAside without its SingleFlight (reported as
 * {@code BrokenSingleFlight}), and {@link #oneLoadPerKeyPerExpiryWindow} must fail.
 */
class CoalescingProperties {

  @Property(tries = 80)
  void oneLoadPerKeyPerExpiryWindow(@ForAll Coalescing strategy, @ForAll StoreKind kind,
      @ForAll @IntRange(min = 2, max = 32) int callers, @ForAll @IntRange(min = 1, max = 3) int keyCount,
      @ForAll @IntRange(min = 1, max = 20) int loadMillis, @ForAll @IntRange(min = 0, max = 20) int jitterMillis,
      @ForAll @IntRange(min = 1, max = 3) int windows, @ForAll @IntRange(min = 2, max = 3) int nodeCount,
      @ForAll long seed) throws Exception {
    try (Coalescing.Setup s = strategy.new Setup(kind, nodeCount, seed)) {
      CountingLoader loader = new CountingLoader(s.ticker, loadMillis);
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < keyCount; k++) {
        keys.add("key" + k);
      }
      boolean primed = strategy.primed();
      Map<String, Long> previousLoad = new HashMap<>();
      if (primed) {
        s.prime(keys, loader);
        for (String key : keys) {
          check(loader.loadsOf(key) == 1, s.describe() + ", key '" + key + "': priming loaded "
              + loader.loadsOf(key) + " times");
          previousLoad.put(key, s.ticker.read());
        }
      }
      Random random = new Random(seed);
      long[] delays = new long[callers];
      for (int i = 0; i < callers; i++) {
        delays[i] = jitterMillis == 0 ? 0 : Duration.ofMillis(random.nextInt(jitterMillis + 1)).toNanos();
      }
      for (int w = 0; w < windows; w++) {
        if (primed || w > 0) {
          s.ticker.advance(strategy.windowStep());
        }
        long now = s.ticker.read();
        Map<String, Integer> before = new HashMap<>();
        keys.forEach(k -> before.put(k, loader.loadsOf(k)));
        String context = s.describe() + ", window " + w + ", " + callers + " callers on " + keyCount + " key(s), "
            + loadMillis + " ms loads";
        List<Object> results = Callers.race(callers, i -> delays[i],
            i -> s.forCaller(i).get(keys.get(i % keyCount), loader), Duration.ofSeconds(30), context);
        if (!s.background.awaitIdle(Duration.ofSeconds(10))) {
          throw new AssertionError(context + ": background refresh still running after 10 s");
        }
        for (int k = 0; k < keyCount; k++) {
          String key = keys.get(k);
          String where = context + ", key '" + key + "'";
          List<String> values = new ArrayList<>();
          for (int i = k; i < callers; i += keyCount) {
            Object r = results.get(i);
            if (r instanceof Throwable t) {
              throw new AssertionError(where + ": caller " + i + " failed: " + t, t);
            }
            values.add((String) r);
          }
          int loads = loader.loadsOf(key) - before.get(key);
          int expected = values.isEmpty() ? 0 : 1;
          if (strategy.exactPerWindow) {
            check(loads == expected, where + ": " + loads + " loader runs in one expiry window by " + values.size()
                + " callers, expected exactly " + expected + " (" + s.counters + ")");
          } else {
            check(loads >= expected && loader.maxRunningPerKey() <= 1, where + ": " + loads + " refreshes by "
                + values.size() + " callers, at most " + loader.maxRunningPerKey() + " at a time; expected at least "
                + expected + ", one at a time");
          }
          for (String value : values) {
            long at = CountingLoader.loadedAt(value);
            if (primed) {
              check(at == now || at == previousLoad.get(key), where + ": a caller got '" + value
                  + "', neither this window's value nor the previous one");
            } else {
              check(at == now, where + ": a caller got '" + value + "', not loaded in this window");
              check(value.equals(values.get(0)), where + ": callers got different values '" + values.get(0)
                  + "' and '" + value + "'");
            }
          }
          previousLoad.put(key, now);
        }
      }
    }
  }

  /** The naive baseline stampedes: several concurrent callers on an expired key all load. */
  @Property(tries = 10)
  void cacheAsideStampedes(@ForAll StoreKind kind, @ForAll @IntRange(min = 4, max = 32) int callers,
      @ForAll @IntRange(min = 20, max = 50) int loadMillis, @ForAll boolean expiredRatherThanCold)
      throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> cacheAside = Coalescing.cacheAside(f.store, counters);
      CountingLoader loader = new CountingLoader(ticker, loadMillis);
      String key = "hot";
      if (expiredRatherThanCold) {
        loader.sleep(0);
        cacheAside.get(key, loader);
        ticker.advance(Coalescing.TTL.plusSeconds(1));
        loader.sleep(loadMillis);
      }
      int before = loader.loadsOf(key);
      String context = "CacheAside on " + kind + ", key '" + key + "', " + callers + " callers, " + loadMillis
          + " ms loads";
      List<Object> results = Callers.race(callers, i -> 0, i -> cacheAside.get(key, loader),
          Duration.ofSeconds(30), context);
      for (Object r : results) {
        if (r instanceof Throwable t) {
          throw new AssertionError(context + ": a caller failed: " + t, t);
        }
      }
      int loads = loader.loadsOf(key) - before;
      if (loads < 2) {
        throw new AssertionError(context + ": expected the naive baseline to stampede (more than 1 load), got "
            + loads + " (" + counters + ")");
      }
      if (counters.get(Event.LOAD_STARTED) - (expiredRatherThanCold ? 1 : 0) != loads) {
        throw new AssertionError(context + ": LOAD_STARTED " + counters.get(Event.LOAD_STARTED) + " != loads "
            + loads);
      }
      check(counters.get(Event.LOAD_SUCCEEDED) == counters.get(Event.LOAD_STARTED), context + ": LOAD_SUCCEEDED "
          + counters.get(Event.LOAD_SUCCEEDED) + " != LOAD_STARTED " + counters.get(Event.LOAD_STARTED));
    }
  }
}
