package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.TtlJitter;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/** TTL jitter stays within [base(1-f), base(1+f)], is monotone in the draw, and spreads expiries. */
class TtlJitterProperties {

  @Property(tries = 2000)
  void jitteredTtlStaysWithinBounds(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 2) long base,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double fraction,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u1,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u2) {
    long spread = (long) (base * fraction);
    long t1 = TtlJitter.jitteredTtlNanos(base, fraction, u1);
    long t2 = TtlJitter.jitteredTtlNanos(base, fraction, u2);
    String context = "TtlJitter.jitteredTtlNanos(base " + base + ", fraction " + fraction + ")";
    for (long t : new long[] {t1, t2}) {
      check(t > 0, context + ": non-positive TTL " + t);
      check(t >= base - spread && t <= base + spread, context + ": " + t + " outside ["
          + (base - spread) + ", " + (base + spread) + "]");
    }
    check((u1 <= u2) == (t1 <= t2) || t1 == t2, context + ": not monotone in u: u " + u1 + " -> "
        + t1 + ", u " + u2 + " -> " + t2);
    check(TtlJitter.jitteredTtlNanos(base, fraction, 0) == base - spread,
        context + ": u = 0 does not give the low end");
  }

  /**
   * Keys loaded at one instant get expiries spread over the whole jitter interval, close to uniform
   * (Kolmogorov-Smirnov at 1e-6), where the fixed-TTL baseline gives them all one expiry.
   */
  @Property(tries = 12)
  void jitterSpreadsExpiries(@ForAll StoreKind kind, @ForAll @IntRange(min = 50, max = 200) int keys,
      @ForAll @IntRange(min = 10, max = 600) int baseSeconds,
      @ForAll @DoubleRange(min = 0.05, max = 0.5) double fraction, @ForAll long seed) {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    Random random = new Random(seed);
    Duration base = Duration.ofSeconds(baseSeconds);
    try (StoreFixture<String> f = kind.open(ticker)) {
      TtlJitter<String> ttl = new TtlJitter<>(base, fraction, () -> {
        synchronized (random) {
          return random.nextDouble();
        }
      });
      CacheAside<String, String> jitter = CacheAside.builder(f.store, new StoreFill<>(f.store, counters, ttl))
          .metrics(counters).build();
      CacheAside<String, String> fixed = CacheAside.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(base))).metrics(counters).build();
      long[] ttls = new long[keys];
      long[] fixedTtls = new long[keys];
      for (int i = 0; i < keys; i++) {
        jitter.get("j" + i, k -> k);
        fixed.get("f" + i, k -> k);
        Entry<String> e = f.store.get("j" + i);
        ttls[i] = e.expireTime() - e.writeTime();
        Entry<String> g = f.store.get("f" + i);
        fixedTtls[i] = g.expireTime() - g.writeTime();
      }
      long spread = (long) (base.toNanos() * fraction);
      long low = base.toNanos() - spread;
      String context = "TtlJitter on " + kind + ", " + keys + " keys, base " + base + ", fraction " + fraction;
      Arrays.sort(ttls);
      check(ttls[0] >= low && ttls[keys - 1] <= base.toNanos() + spread, context
          + ": TTLs outside the jitter interval: " + ttls[0] + " .. " + ttls[keys - 1]);
      check(ttls[keys - 1] - ttls[0] >= spread, context + ": expiries span only "
          + Duration.ofNanos(ttls[keys - 1] - ttls[0]) + " of " + Duration.ofNanos(2 * spread));
      double d = 0;
      for (int i = 0; i < keys; i++) {
        double cdf = (ttls[i] - low) / (2.0 * spread);
        d = Math.max(d, Math.max(Math.abs(cdf - (double) i / keys), Math.abs(cdf - (double) (i + 1) / keys)));
      }
      double critical = Math.sqrt(-Math.log(1e-6 / 2) / 2) / Math.sqrt(keys);
      check(d <= critical, context + ": expiries not uniform, KS D " + d + " > " + critical);
      check(Arrays.stream(fixedTtls).distinct().count() == 1, context
          + ": the fixed-TTL baseline should expire all keys together");
    }
  }
}
