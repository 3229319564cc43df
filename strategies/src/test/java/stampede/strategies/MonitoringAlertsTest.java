package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.micrometer.MicrometerMetrics;
import stampede.strategies.Monitoring.MissStorm;
import stampede.testkit.ManualTicker;

/**
 * Monitoring's three alerts, each driven on and off by a manual ticker (windows start at 0): the hit ratio over the
 * last complete window, the miss storm (this window or the last) with its bounded top-N, and loads in flight against
 * the database pool; then the same alerts as gauges through the Micrometer binding.
 */
class MonitoringAlertsTest {
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private static final Duration SECOND = Duration.ofSeconds(1);

  private final ManualTicker ticker = new ManualTicker(0);
  private final Counters counters = new Counters();
  private final List<MissStorm> alerts = new ArrayList<>();

  private Monitoring.Builder monitoring(Metrics downstream) {
    return Monitoring.builder(downstream).ticker(ticker).alert(alerts::add);
  }

  private static void record(Metrics metrics, Event event, int times, String key) {
    for (int i = 0; i < times; i++) {
      metrics.record(event, key);
    }
  }

  @Test
  void hitRatioLowFiresAfterABadWindowAndClearsAfterAGoodOne() {
    Monitoring m = monitoring(counters).hitRatio(0.8, MINUTE, 10).build();
    record(m, Event.HIT, 5, "k");
    record(m, Event.MISS, 5, "k");
    assertTrue(Double.isNaN(m.windowHitRatio()), "no complete window yet");
    assertFalse(m.hitRatioLow());

    ticker.advance(MINUTE); // the 50% window is complete
    assertEquals(0.5, m.windowHitRatio());
    assertTrue(m.hitRatioLow());
    record(m, Event.HIT, 19, "k");
    record(m, Event.MISS, 1, "k");
    assertTrue(m.hitRatioLow(), "the alert reads the last complete window, not the one still counting");

    ticker.advance(MINUTE); // the 95% window is complete
    assertEquals(0.95, m.windowHitRatio());
    assertFalse(m.hitRatioLow());
    assertEquals(24.0 / 30, m.hitRatio(), 1e-9, "since creation");
  }

  @Test
  void hitRatioLowNeedsMinRequestsAndAQuietWindowClearsIt() {
    Monitoring m = monitoring(counters).hitRatio(0.8, MINUTE, 10).build();
    record(m, Event.MISS, 9, "k"); // 0% but under minRequests
    ticker.advance(MINUTE);
    assertEquals(0.0, m.windowHitRatio());
    assertFalse(m.hitRatioLow());

    record(m, Event.MISS, 10, "k");
    ticker.advance(MINUTE);
    assertTrue(m.hitRatioLow());
    ticker.advance(MINUTE.multipliedBy(3)); // no requests since: nothing to alert on
    assertTrue(Double.isNaN(m.windowHitRatio()));
    assertFalse(m.hitRatioLow());
  }

  @Test
  void hitRatioDefaultsToEightyPercentOverAMinuteOfAHundredRequests() {
    Monitoring m = monitoring(counters).build();
    record(m, Event.HIT, 79, "k");
    record(m, Event.MISS, 21, "k");
    ticker.advance(MINUTE);
    assertTrue(m.hitRatioLow());
    record(m, Event.HIT, 80, "k");
    record(m, Event.MISS, 20, "k");
    ticker.advance(MINUTE);
    assertFalse(m.hitRatioLow(), "80% is not below 80%");
  }

  @Test
  void missStormFiresOnOneKeyHoldsForTheNextWindowThenClears() {
    Monitoring m = monitoring(counters).missStorm(3, SECOND).build();
    record(m, Event.MISS, 2, "cold");
    record(m, Event.MISS, 2, "hot");
    assertFalse(m.missStorm());
    m.record(Event.MISS, "hot");
    assertTrue(m.missStorm());
    assertEquals(1, m.stormingKeys());
    assertEquals(List.of(new MissStorm("hot", 3, SECOND)), m.topStorms(10));
    record(m, Event.MISS, 5, "hot");
    assertEquals(1, alerts.size(), "one alert per key and window");
    assertEquals(1, counters.get(Event.MISS_STORM));

    ticker.advance(SECOND);
    assertTrue(m.missStorm(), "a storm in the last window still counts");
    assertEquals(List.of(new MissStorm("hot", 8, SECOND)), m.topStorms(10));
    ticker.advance(SECOND);
    assertFalse(m.missStorm());
    assertEquals(List.of(), m.topStorms(10));
  }

  @Test
  void topStormsIsBoundedAndBusiestFirst() {
    Monitoring m = monitoring(counters).missStorm(3, SECOND).build();
    for (int k = 0; k < 10; k++) {
      record(m, Event.MISS, 3 + k, "key" + k);
    }
    assertEquals(10, m.stormingKeys());
    List<MissStorm> top = m.topStorms(3);
    assertEquals(List.of("key9", "key8", "key7"), top.stream().map(MissStorm::key).toList());
    assertEquals(12, top.get(0).misses());
  }

  @Test
  void tenThousandMissingKeysKeepMemoryBoundedAndTheStormInView() {
    Monitoring m = monitoring(counters).missStorm(5, SECOND).maxTrackedKeys(1_000).build();
    record(m, Event.MISS, 5, "hot");
    for (int i = 0; i < 10_000; i++) {
      m.record(Event.MISS, "cold-" + i);
    }
    assertTrue(m.trackedKeys() <= 1_000, "tracked " + m.trackedKeys());
    assertEquals(List.of(new MissStorm("hot", 5, SECOND)), m.topStorms(5));
  }

  @Test
  void poolExhaustedFiresAtTheAlertLevelOfInFlightLoadsAndClearsWhenOneEnds() {
    Monitoring m = monitoring(counters).databasePool(4, 0.75).build(); // alert at 3 of 4 connections
    record(m, Event.LOAD_STARTED, 2, "k");
    assertEquals(2, m.loadsInFlight());
    assertFalse(m.poolExhausted());
    m.record(Event.LOAD_STARTED, "k");
    assertTrue(m.poolExhausted());
    m.record(Event.LOAD_FAILED, "k", 1_000);
    assertFalse(m.poolExhausted());
    m.record(Event.LOAD_STARTED, "k");
    assertTrue(m.poolExhausted());
    ticker.advance(MINUTE); // time alone changes nothing: only loads ending do
    assertTrue(m.poolExhausted());
    m.record(Event.LOAD_SUCCEEDED, "k", 1_000);
    assertFalse(m.poolExhausted());
    assertEquals(4, m.poolSize());
  }

  @Test
  void poolExhaustedAtTheWholePoolAndNeverWithoutOne() {
    Monitoring full = monitoring(counters).databasePool(2, 1.0).build();
    Monitoring none = monitoring(counters).build();
    for (Monitoring m : List.of(full, none)) {
      record(m, Event.LOAD_STARTED, 1, "k");
    }
    assertFalse(full.poolExhausted());
    full.record(Event.LOAD_STARTED, "k");
    none.record(Event.LOAD_STARTED, "k");
    assertTrue(full.poolExhausted());
    record(none, Event.LOAD_STARTED, 1_000, "k");
    assertEquals(0, none.poolSize());
    assertFalse(none.poolExhausted());
  }

  @Test
  void everyEventAndItsDurationGoDownstream() {
    List<String> seen = new ArrayList<>();
    Metrics downstream = new Metrics() {
      @Override
      public void record(Event event, Object key) {
        seen.add(event + " " + key);
      }

      @Override
      public void record(Event event, Object key, long nanos) {
        seen.add(event + " " + key + " " + nanos);
      }
    };
    Monitoring m = monitoring(downstream).build();
    m.record(Event.LOAD_STARTED, "k");
    m.record(Event.LOAD_SUCCEEDED, "k", 42);
    m.record(Event.HIT, "k");
    assertEquals(List.of("LOAD_STARTED k", "LOAD_SUCCEEDED k 42", "HIT k"), seen);
  }

  @Test
  void settingsOutOfRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).hitRatio(0, MINUTE, 1).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).hitRatio(1.5, MINUTE, 1).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).hitRatio(0.8, Duration.ZERO, 1).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).hitRatio(0.8, MINUTE, 0).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).databasePool(-1, 1).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).databasePool(10, 0).build());
    assertThrows(IllegalArgumentException.class, () -> monitoring(counters).databasePool(10, 1.1).build());
    assertThrows(NullPointerException.class, () -> monitoring(counters).hitRatio(0.8, null, 1));
  }

  @Test
  void theAlertsFireAndClearAsGaugesOnAMeterRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MicrometerMetrics metrics = MicrometerMetrics.builder(registry, "books").build();
    Monitoring m = monitoring(metrics).hitRatio(0.8, MINUTE, 10).missStorm(3, SECOND).databasePool(2, 1.0).build();
    metrics.bindAlerts(m);
    int meters = registry.getMeters().size();

    record(m, Event.MISS, 10, "hot"); // a storm, and a 0% window
    record(m, Event.LOAD_STARTED, 2, "hot");
    assertEquals(1.0, gauge(registry, "miss_storm"));
    assertEquals(1.0, gauge(registry, "pool_exhausted"));
    assertEquals(1.0, registry.get("stampede.miss.storms").counter().count());
    assertEquals(1.0, registry.get("stampede.miss.storm.keys").gauge().value());
    assertEquals(2.0, registry.get("stampede.loads.in.flight").gauge().value());
    assertEquals(2.0, registry.get("stampede.db.pool.size").gauge().value());
    ticker.advance(MINUTE);
    assertEquals(1.0, gauge(registry, "hit_ratio_low"));
    assertEquals(0.0, registry.get("stampede.hit.ratio").gauge().value());

    record(m, Event.HIT, 10, "hot");
    m.record(Event.LOAD_SUCCEEDED, "hot", 1_000_000);
    ticker.advance(MINUTE);
    assertEquals(0.0, gauge(registry, "hit_ratio_low"));
    assertEquals(0.0, gauge(registry, "miss_storm"));
    assertEquals(0.0, gauge(registry, "pool_exhausted"));
    assertEquals(1.0, registry.get("stampede.hit.ratio").gauge().value());
    assertEquals(meters, registry.getMeters().size());
  }

  private static double gauge(SimpleMeterRegistry registry, String alert) {
    return registry.get("stampede.alert").tag("alert", alert).gauge().value();
  }
}
