package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.ProbabilisticEarlyExpiration;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/** XFetch: at remaining time r one read recomputes early with probability exp(-r / (delta * beta)). */
class XFetchProperties {
  private static final Duration TTL = Duration.ofSeconds(60);

  /** The pure decision, with many generated uniform draws, matches the formula within 5 sigma. */
  @Property(tries = 60)
  void earlyRefreshProbabilityMatchesFormula(@ForAll @LongRange(min = 1_000, max = 1_000_000_000) long delta,
      @ForAll @DoubleRange(min = 0.1, max = 5) double beta, @ForAll @DoubleRange(min = 0.0, max = 5) double x,
      @ForAll long seed) {
    long now = 1_000_000_000_000L;
    long remaining = Math.max(1, (long) (x * delta * beta));
    long expire = now + remaining;
    Random random = new Random(seed);
    int samples = 20_000;
    int early = 0;
    for (int i = 0; i < samples; i++) {
      if (ProbabilisticEarlyExpiration.shouldRecomputeEarly(now, delta, beta, expire, 1 - random.nextDouble())) {
        early++;
      }
    }
    double p = Math.exp(-remaining / (delta * beta));
    double observed = (double) early / samples;
    double tolerance = 5 * Math.sqrt(p * (1 - p) / samples) + 1e-3;
    check(Math.abs(observed - p) <= tolerance, "XFetch delta " + delta + " ns, beta " + beta
        + ", remaining " + remaining + " ns: early-refresh frequency " + observed + ", expected " + p + " +- "
        + tolerance);
    check(ProbabilisticEarlyExpiration.shouldRecomputeEarly(expire, delta, beta, expire,
        1 - random.nextDouble()), "XFetch must recompute once expired");
  }

  /**
   * The strategy, with an injected random source and a ManualTicker, recomputes exactly when the pure function
   * says so for each draw, keeps serving the fresh value when the early recompute fails, and its early-refresh
   * frequency matches the formula.
   */
  @Property(tries = 16)
  void strategyRefreshesEarlyWithTheFormulasProbability(@ForAll StoreKind kind,
      @ForAll @IntRange(min = 1, max = 500) int deltaMillis, @ForAll @DoubleRange(min = 0.25, max = 4) double beta,
      @ForAll @DoubleRange(min = 0.05, max = 3) double x, @ForAll long seed) {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    Random random = new Random(seed);
    double[] lastDraw = new double[1];
    try (StoreFixture<String> f = kind.open(ticker)) {
      // the early refresh runs in line (Runnable::run), on the reader that draws it, as in the paper
      CacheAside<String, String> xfetch = CacheAside.builder(f.store, new StoreFill<>(f.store, counters,
          Ttl.fixed(TTL))).metrics(counters).policy(new ProbabilisticEarlyExpiration<>(
              () -> lastDraw[0] = random.nextDouble(), beta), Runnable::run).build();
      long delta = Duration.ofMillis(deltaMillis).toNanos();
      String first = xfetch.get("k", k -> {
        ticker.advance(delta); // the load takes delta of ticker time: XFetch's delta
        return "v1";
      });
      Entry<String> entry = f.store.get("k");
      String context = "XFetch on " + kind + ", key 'k', delta " + deltaMillis + " ms, beta " + beta;
      check(entry.loadNanos() == delta, context + ": stored delta " + entry.loadNanos());
      long remaining = Math.max(1, (long) (x * delta * beta));
      ticker.set(entry.expireTime() - remaining);
      int calls = 400;
      int expected = 0;
      for (int i = 0; i < calls; i++) {
        long before = counters.get(Event.REFRESH_STARTED);
        String value = xfetch.get("k", k -> {
          throw new Exception("refresh fails, the entry stays");
        });
        boolean refreshed = counters.get(Event.REFRESH_STARTED) > before;
        boolean shouldHave = ProbabilisticEarlyExpiration.shouldRecomputeEarly(ticker.read(), delta, beta,
            entry.expireTime(), 1 - lastDraw[0]);
        check(refreshed == shouldHave, context + ", call " + i + ": draw " + lastDraw[0]
            + " refreshed " + refreshed + " but the formula says " + shouldHave);
        check(first.equals(value), context + ": got " + value + " while the entry is fresh");
        expected += shouldHave ? 1 : 0;
      }
      long early = counters.get(Event.REFRESH_STARTED);
      check(early == expected && counters.get(Event.REFRESH_FAILED) == early, context
          + ": " + early + " early refreshes, " + counters.get(Event.REFRESH_FAILED) + " failed, expected " + expected);
      double p = Math.exp(-(double) remaining / (delta * beta));
      double observed = (double) early / calls;
      double tolerance = 5 * Math.sqrt(p * (1 - p) / calls) + 0.01;
      check(Math.abs(observed - p) <= tolerance, context + ", remaining " + remaining
          + " ns: frequency " + observed + ", expected " + p + " +- " + tolerance);
    }
  }
}
