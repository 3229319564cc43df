package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.settings.TestSettings;

/** The scenarios record through the production binding: its meters count what the scenario's counters count. */
class MetersTest {
  private static final long MS = 1_000_000L;

  @Test
  void aScenariosEnvRecordsThroughMicrometerUnderTheMeterNamesOfProduction() {
    Context ctx = new Context(TestSettings.of("bench.profile=smoke"), null, OpenLoop.Clock.system());
    ctx.newMeters();
    Database db = new Database(MS, MS, 500 * MS);
    try (Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofSeconds(30))
        .metrics(ctx.meters("SINGLE_FLIGHT")).build()) {
      BenchCache cache = Contender.of(StrategyType.SINGLE_FLIGHT).create(env);
      String first = cache.get("k");
      assertEquals(first, cache.get("k"));
      assertEquals(first, cache.get("k"));
      Map<String, Long> totals = Context.totals(ctx.newMeters());
      assertEquals(env.counters.get(Event.HIT), totals.get("cache.gets{cache=SINGLE_FLIGHT,result=hit}"),
          totals::toString);
      assertEquals(env.counters.get(Event.MISS), totals.get("cache.gets{cache=SINGLE_FLIGHT,result=miss}"),
          totals::toString);
      assertEquals(2L, totals.get("cache.gets{cache=SINGLE_FLIGHT,result=hit}"));
      assertEquals(db.loads(), totals.get("cache.loads{cache=SINGLE_FLIGHT,result=success}"), totals::toString);
      assertTrue(Context.totals(ctx.newMeters()).isEmpty(), "a new scenario starts a new registry");
    }
  }
}
