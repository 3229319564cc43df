package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared-hot-key scenario's measuring pieces, on made-up INFO replies and times. */
class SharedHotKeyMeasuresTest {
  static final String BEFORE = "# Commandstats\r\n"
      + "cmdstat_get:calls=100,usec=300,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n"
      + "cmdstat_evalsha:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=1\r\n"
      + "cmdstat_info:calls=3,usec=90,usec_per_call=30.00\r\n"
      + "cmdstat_client|tracking:calls=4,usec=8,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n";
  static final String AFTER = "# Commandstats\r\n"
      + "cmdstat_get:calls=25100,usec=75300,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n"
      + "cmdstat_evalsha:calls=17,usec=170,usec_per_call=10.00,rejected_calls=0,failed_calls=1\r\n"
      + "cmdstat_info:calls=4,usec=120,usec_per_call=30.00\r\n"
      + "cmdstat_client|tracking:calls=4,usec=8,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n"
      + "cmdstat_PUBLISH:calls=5,usec=5,usec_per_call=1.00\r\n";

  @Test
  void commandStatsAreReadFromInfoAndSubtracted() {
    CommandStats before = CommandStats.parse(BEFORE);
    assertEquals(Map.of("get", 100L, "evalsha", 7L, "info", 3L, "client|tracking", 4L), before.calls());
    CommandStats window = CommandStats.parse(AFTER).minus(before).without("info");
    assertEquals(Map.of("get", 25_000L, "evalsha", 10L, "publish", 5L), window.calls(),
        "unchanged commands drop out, a new one counts from 0, names in lower case");
    assertEquals(25_015, window.total());
    assertEquals(List.of("get", "evalsha"), List.copyOf(window.top(2).keySet()));
    assertEquals(Map.of(), CommandStats.parse("# Server\r\nredis_version:6.2.6\r\n").calls(), "other sections");
    assertEquals(Map.of("get", 5L), CommandStats.parse("cmdstat_get:calls=5,usec=1,usec_per_call=0.20")
        .minus(CommandStats.parse("cmdstat_get:calls=900")).calls(), "a counter reset counts from 0");
  }

  @Test
  void eachNodeRecordsWhenItFirstServesTheWriteOrANewerValue() {
    InvalidationLatency inv = new InvalidationLatency(2, 3);
    long ms = 1_000_000L;
    inv.served(0, "hot@1@" + 500 * ms, 600 * ms); // no write yet: nothing owed
    assertEquals(0, inv.summary().samples());
    assertTrue(inv.written(1_000 * ms, 1_002 * ms));
    inv.served(0, "hot@1@" + 500 * ms, 1_003 * ms); // the old value: still owed
    inv.served(0, "hot@w@" + 1_000 * ms, 1_005 * ms); // node 0: 3 ms after the ack
    inv.served(0, "hot@w@" + 1_000 * ms, 1_006 * ms); // already counted
    inv.served(1, "hot@w@" + 1_000 * ms, 1_001 * ms); // before the ack: 0
    assertTrue(inv.written(2_000 * ms, 2_001 * ms));
    assertTrue(inv.written(3_000 * ms, 3_001 * ms));
    assertFalse(inv.written(4_000 * ms, 4_001 * ms), "more than maxWrites");
    inv.served(1, "hot@7@" + 3_050 * ms, 3_101 * ms); // a load newer than both writes: node 1 owed 2, served both
    inv.served(1, "not a version", 3_200 * ms);
    InvalidationLatency.Summary s = inv.summary();
    assertEquals(3, s.writes());
    assertEquals(4, s.samples(), "node 0: write 1; node 1: writes 1, 2, 3");
    assertEquals(2, s.never(), "node 0 never served writes 2 and 3");
    assertEquals(1_100.0, s.maxMs(), 2.0, "node 1 caught up with write 2 at 3,101 ms");
    assertEquals(1_100.0, s.p99ms(), 2.0, "p99 of 4 samples is the largest");
    assertEquals(3.0, s.p50ms(), 0.01);
    assertEquals(Long.MIN_VALUE, InvalidationLatency.version(null));
    assertEquals(42, InvalidationLatency.version("k@w@42"));
  }

  static SharedHotKey.Row row(String name, String store, double answered, double p99, double commands, double l1,
      InvalidationLatency.Summary inv, long dropped) {
    return new SharedHotKey.Row(name, store, 4, 100_000, 99_000, false, 500_000, answered, 5, 5, 1.0, 0.2, p99,
        p99 + 1, dropped, dropped == 0 ? Map.of() : Map.of("Dropped: dropped", dropped), 40, false, 5.0, commands,
        Map.of("get", (long) (commands * 4), "evalsha", (long) commands), l1, 100, 20, inv, 0);
  }

  @Test
  void thePageShowsEachRowsRatesRedisCommandsL1AndInvalidationLatency(@TempDir Path dir) throws Exception {
    Floor floor = FloorTest.floor(100_000, 2, 0.1, 4.0, 9);
    SharedHotKeyResult result = new SharedHotKeyResult(List.of(
        row("LAYERED_STACK + NEAR_CACHE", "NearCache over Redis", 99_000, 5.0, 20, 0.9999,
            new InvalidationLatency.Summary(5, 4, 20, 0, 0.5, 2.0, 2.5), 0),
        row("LAYERED_STACK", "Redis", 10_000, 900, 10_000, Double.NaN,
            new InvalidationLatency.Summary(5, 4, 18, 2, 1.0, 700, 800), 450_000)),
        4, 25_000, Duration.ofSeconds(1), Duration.ofSeconds(5), floor, "one embedded redis-server",
        List.of(Map.of("name", "REDISSON_LOCAL_CACHED", "description", "Redisson's near cache")));
    ScenarioWriter writer = new ScenarioWriter(dir, PagesTest.run());
    writer.write(new Outcome("shared-hot-key", result, null, 40, 8_000, Map.of()));
    String page = Files.readString(dir.resolve("shared-hot-key.md"), StandardCharsets.UTF_8);
    assertTrue(page.startsWith("# One hot key at 100,000 requests/s on the shared store\n"), page);
    assertTrue(page.contains("| LAYERED_STACK + NEAR_CACHE | NearCache over Redis | 99,000 | 99,000 | 1.00 | 0.200 "
        + "| 5.00 (machine-bound: floor) | 20 | 99.99% | 0.500 | 2.00 | 2.50 | 0.00% | 40 |\n"), page);
    assertTrue(page.contains("| LAYERED_STACK | Redis | 99,000 | 10,000 | 1.00 | 0.200 | 900 | 10,000 | - | 1.00 "
        + "| 700 | 800 (2 of 20 never) | 90.00% | 40 |\n"), page);
    assertTrue(page.contains("LAYERED_STACK + NEAR_CACHE: get 16/s, evalsha 4/s; LAYERED_STACK: get 8,000/s, evalsha 2,000/s.\n"), page);
    assertTrue(page.contains("- **REDISSON_LOCAL_CACHED**: Redisson's near cache\n"), page);
    assertTrue(page.contains("- LAYERED_STACK: Dropped: dropped (450,000)"), page);
    assertTrue(Files.size(dir.resolve("shared-hot-key.png")) > 1_000, "the chart");
  }
}
