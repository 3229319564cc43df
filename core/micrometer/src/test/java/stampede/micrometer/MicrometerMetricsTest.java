package stampede.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.caffeine.CaffeineStore;
import stampede.core.Alerts;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualTicker;

/**
 * MicrometerMetrics on a SimpleMeterRegistry: every event reaches the meter the class javadoc and the README
 * document (this table is that documentation, written out again), with the {@code cache} tag and no key in any tag;
 * the alert gauges follow an {@link Alerts}.
 */
class MicrometerMetricsTest {
  /** The documented meter of each event: name, then the extra tag key and value if any. */
  private static final Map<Event, List<String>> DOCUMENTED = new EnumMap<>(Map.ofEntries(
      Map.entry(Event.HIT, List.of("cache.gets", "result", "hit")),
      Map.entry(Event.MISS, List.of("cache.gets", "result", "miss")),
      Map.entry(Event.ENTRY_WRITTEN, List.of("cache.puts")),
      Map.entry(Event.LOAD_STARTED, List.of("stampede.loads.in.flight")),
      Map.entry(Event.LOAD_SUCCEEDED, List.of("cache.loads", "result", "success")),
      Map.entry(Event.LOAD_FAILED, List.of("cache.loads", "result", "failure")),
      Map.entry(Event.LOAD_COALESCED, List.of("stampede.loads.coalesced")),
      Map.entry(Event.RATE_LIMITED, List.of("stampede.loads.rejected", "reason", "rate_limited")),
      Map.entry(Event.LOAD_SHED, List.of("stampede.loads.rejected", "reason", "load_shed")),
      Map.entry(Event.CIRCUIT_OPEN, List.of("stampede.loads.rejected", "reason", "circuit_open")),
      Map.entry(Event.WAIT_TIMED_OUT, List.of("stampede.waits.timed.out")),
      Map.entry(Event.STALE_SERVED, List.of("stampede.stale.served")),
      Map.entry(Event.REFRESH_STARTED, List.of("stampede.refreshes.started")),
      Map.entry(Event.REFRESH_FAILED, List.of("stampede.refreshes.failed")),
      Map.entry(Event.REFRESH_REJECTED, List.of("stampede.refreshes.rejected")),
      Map.entry(Event.LOCK_ACQUIRED, List.of("stampede.locks.acquired")),
      Map.entry(Event.LOCK_WAITED, List.of("stampede.locks.waited")),
      Map.entry(Event.LOCK_FALLBACK, List.of("stampede.locks.fallbacks")),
      Map.entry(Event.STORE_ERROR, List.of("stampede.store.errors")),
      Map.entry(Event.FENCED_WRITE, List.of("stampede.writes.fenced")),
      Map.entry(Event.HOT_KEY, List.of("stampede.hot.keys")),
      Map.entry(Event.MISS_STORM, List.of("stampede.miss.storms"))));

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MicrometerMetrics metrics = MicrometerMetrics.builder(registry, "books")
      .tags(Tags.of("region", "eu")).build();

  @Test
  void everyEventIsDocumented() {
    assertEquals(Set.of(Event.values()), DOCUMENTED.keySet());
  }

  @ParameterizedTest
  @EnumSource(Event.class)
  void everyEventReachesItsDocumentedMeterAndNoOther(Event event) {
    Map<Meter.Id, Double> before = readings();
    if (event == Event.LOAD_SUCCEEDED || event == Event.LOAD_FAILED) {
      metrics.record(Event.LOAD_STARTED, "k");
      before = readings();
      metrics.record(event, "k", 7_000_000);
    } else {
      metrics.record(event, "k");
    }
    Set<Meter.Id> moved = new HashSet<>();
    for (Map.Entry<Meter.Id, Double> reading : readings().entrySet()) {
      if (!reading.getValue().equals(before.get(reading.getKey()))) {
        moved.add(reading.getKey());
      }
    }
    List<String> doc = DOCUMENTED.get(event);
    Meter.Id expected = id(doc);
    if (event == Event.LOAD_SUCCEEDED || event == Event.LOAD_FAILED) {
      assertEquals(Set.of(expected, id(List.of("stampede.loads.in.flight"))), moved, event + " moved " + moved);
      Timer timer = registry.get(doc.get(0)).tags(doc.get(1), doc.get(2)).timer();
      assertEquals(1, timer.count());
      assertEquals(7.0, timer.totalTime(TimeUnit.MILLISECONDS), 1e-9);
    } else {
      assertEquals(Set.of(expected), moved, event + " moved " + moved);
    }
    assertEquals(event == Event.LOAD_STARTED ? 1 : 0, metrics.loadsInFlight());
  }

  @Test
  void everyMeterIsTaggedWithTheCacheAndTheExtraTagsAndNothingElse() {
    Set<String> allowed = Set.of("cache", "region", "result", "reason");
    assertFalse(registry.getMeters().isEmpty());
    for (Meter meter : registry.getMeters()) {
      assertEquals("books", meter.getId().getTag("cache"), meter.getId().toString());
      assertEquals("eu", meter.getId().getTag("region"), meter.getId().toString());
      for (Tag tag : meter.getId().getTagsAsIterable()) {
        assertTrue(allowed.contains(tag.getKey()), meter.getId().toString());
      }
    }
  }

  @Test
  void tenThousandKeysMakeNoMeterAndNoTagValue() {
    metrics.bindAlerts(new FakeAlerts());
    int meters = registry.getMeters().size();
    for (int i = 0; i < 10_000; i++) {
      String key = "key-" + i;
      for (Event event : Event.values()) {
        metrics.record(event, key, 1_000);
      }
    }
    assertEquals(meters, registry.getMeters().size());
    for (Meter meter : registry.getMeters()) {
      for (Tag tag : meter.getId().getTagsAsIterable()) {
        assertFalse(tag.getValue().startsWith("key-"), meter.getId().toString());
      }
    }
    assertEquals(10_000, registry.get("cache.gets").tag("result", "hit").counter().count());
    assertEquals(10_000, registry.get("stampede.miss.storms").counter().count());
  }

  @Test
  void loadsInFlightRiseAtTheStartAndFallAtTheEndEvenWithoutADuration() {
    for (int i = 0; i < 3; i++) {
      metrics.record(Event.LOAD_STARTED, "k" + i);
    }
    assertEquals(3.0, registry.get("stampede.loads.in.flight").gauge().value());
    metrics.record(Event.LOAD_SUCCEEDED, "k0", 2_000_000);
    metrics.record(Event.LOAD_FAILED, "k1", 5_000_000);
    metrics.record(Event.LOAD_SUCCEEDED, "k2"); // no duration: counted, timed as 0
    assertEquals(0.0, registry.get("stampede.loads.in.flight").gauge().value());
    Timer ok = registry.get("cache.loads").tag("result", "success").timer();
    assertEquals(2, ok.count());
    assertEquals(2.0, ok.totalTime(TimeUnit.MILLISECONDS), 1e-9);
    assertEquals(5.0, registry.get("cache.loads").tag("result", "failure").timer().totalTime(TimeUnit.MILLISECONDS),
        1e-9);
  }

  @Test
  void aStoreFillReportsItsLoadItsDurationAndItsWrite() {
    ManualTicker ticker = new ManualTicker();
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 100, Duration.ofMinutes(1));
    StoreFill<String, String> fill = new StoreFill<>(store, metrics, Ttl.fixed(Duration.ofMinutes(1)));
    assertEquals("v", fill.fill("k", null, 0, key -> {
      assertEquals(1, metrics.loadsInFlight());
      ticker.advance(Duration.ofMillis(40));
      return "v";
    }));
    assertThrows(LoadException.class, () -> fill.fill("k", null, 0, key -> {
      throw new IllegalStateException("database down");
    }));
    assertThrows(AssertionError.class, () -> fill.fill("k", null, 0, key -> {
      throw new AssertionError("an Error ends the load too");
    }));
    store.put("k", new Entry<>("newer", ticker.read(), ticker.read() + 1, 0, 9)); // a newer fence wrote meanwhile
    fill.fill("k", null, 1, key -> "old");

    Timer ok = registry.get("cache.loads").tag("result", "success").timer();
    assertEquals(2, ok.count());
    assertEquals(40.0, ok.totalTime(TimeUnit.MILLISECONDS), 1e-9);
    assertEquals(2, registry.get("cache.loads").tag("result", "failure").timer().count());
    assertEquals(1.0, registry.get("cache.puts").counter().count());
    assertEquals(1.0, registry.get("stampede.writes.fenced").counter().count());
    assertEquals(0, metrics.loadsInFlight());
  }

  @Test
  void theAlertGaugesFollowTheAlerts() {
    FakeAlerts alerts = new FakeAlerts();
    metrics.bindAlerts(alerts);
    assertEquals(0.0, alert("hit_ratio_low"));
    assertEquals(0.0, alert("miss_storm"));
    assertEquals(0.0, alert("pool_exhausted"));
    assertTrue(Double.isNaN(registry.get("stampede.hit.ratio").gauge().value()));
    assertEquals(20.0, registry.get("stampede.db.pool.size").gauge().value());

    alerts.ratio = 0.5;
    alerts.storming = 3;
    alerts.inFlight = 20;
    assertEquals(1.0, alert("hit_ratio_low"));
    assertEquals(1.0, alert("miss_storm"));
    assertEquals(1.0, alert("pool_exhausted"));
    assertEquals(0.5, registry.get("stampede.hit.ratio").gauge().value());
    assertEquals(3.0, registry.get("stampede.miss.storm.keys").gauge().value());

    alerts.ratio = 0.95;
    alerts.storming = 0;
    alerts.inFlight = 19;
    assertEquals(0.0, alert("hit_ratio_low"));
    assertEquals(0.0, alert("miss_storm"));
    assertEquals(0.0, alert("pool_exhausted"));
  }

  @Test
  void nullsAreRefused() {
    assertThrows(NullPointerException.class, () -> MicrometerMetrics.builder(null, "books"));
    assertThrows(NullPointerException.class, () -> MicrometerMetrics.builder(registry, null));
    assertThrows(NullPointerException.class, () -> metrics.bindAlerts(null));
  }

  private double alert(String name) {
    return registry.get("stampede.alert").tags("cache", "books", "alert", name).gauge().value();
  }

  private Meter.Id id(List<String> doc) {
    Meter.Id id = null;
    for (Meter meter : registry.getMeters()) {
      Meter.Id m = meter.getId();
      if (m.getName().equals(doc.get(0)) && (doc.size() == 1 || doc.get(2).equals(m.getTag(doc.get(1))))) {
        assertEquals(null, id, "two meters match " + doc);
        id = m;
      }
    }
    assertNotNull(id, "no meter " + doc);
    return id;
  }

  /** Every number each meter reads (counts, totals, gauge values), by meter. */
  private Map<Meter.Id, Double> readings() {
    Map<Meter.Id, Double> map = new HashMap<>();
    for (Meter meter : registry.getMeters()) {
      double sum = 0;
      for (var m : meter.measure()) {
        sum += m.getValue();
      }
      map.put(meter.getId(), sum);
    }
    return map;
  }

  /** Alerts set by hand: a pool of 20, alerting at 20 in flight. */
  private static final class FakeAlerts implements Alerts {
    volatile double ratio = Double.NaN;
    volatile int storming;
    volatile long inFlight;

    @Override
    public double windowHitRatio() {
      return ratio;
    }

    @Override
    public boolean hitRatioLow() {
      return ratio < 0.8;
    }

    @Override
    public int stormingKeys() {
      return storming;
    }

    @Override
    public long loadsInFlight() {
      return inFlight;
    }

    @Override
    public int poolSize() {
      return 20;
    }

    @Override
    public boolean poolExhausted() {
      return inFlight >= 20;
    }
  }
}
