package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import stampede.scenarios.Ladder.Run;
import stampede.scenarios.Ladder.Step;
import stampede.scenarios.Ladder.Verdict;

/**
 * The hot-key page from fixed rows of two repeats: counts summed, latencies as ranges, machine-bound rows marked and
 * left out of the ranking, the ladder's steps with their verdicts, the Redis rows' rate with its spread.
 */
class HotKeyPageTest {

  static HotKeyAtRate.Row row(String strategy, String store, int repeat, double rate, double achieved, double lag,
      double p99, Map<String, Long> errors) {
    return new HotKeyAtRate.Row(strategy, store, repeat, rate, achieved, false, lag, 600_000, 6, 6, 1.0, 1.0, 1, 0.1,
        p99, p99 * 1.5, p99 * 2, 0, 1_000, errors.values().stream().mapToLong(Long::longValue).sum(), errors, 50,
        false);
  }

  @Test
  void repeatsAreRangesAndOnlyRowsAboveTheFloorAreRanked(@TempDir Path dir) throws Exception {
    Floor inProcess = FloorTest.floor(100_000, 5, 0.1, 3, 10); // limits: p99 7 ms, lag 20 ms
    Floor atRedis = FloorTest.floor(10_000, 2, 0.1, 1, 4); // limits: p99 3 ms, lag 20 ms
    List<HotKeyAtRate.Row> rows = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      rows.add(row("SINGLE_FLIGHT", "CAFFEINE", r, 100_000, 99_999, r == 0 ? 100 : 10, 90 + r, Map.of()));
      rows.add(row("XFETCH", "CAFFEINE", r, 100_000, 100_000, 15, 5 + r, Map.of()));
      rows.add(row("STALE_WHILE_REVALIDATE", "CAFFEINE", r, 100_000, 100_000, 15, 8 + r, Map.of()));
      rows.add(row("LAYERED_STACK", "CAFFEINE", r, 100_000, 100_000, 15, 12 + 4 * r,
          Map.of("RejectedException: too many requests", 3L)));
      rows.add(row("CACHE_ASIDE", "REDIS", r, 10_000, 9_990 + 10 * r, 5, 20, Map.of()));
    }
    List<Run> runs = List.of(new Run(10_000, false, 4.5, false, 7), new Run(10_000, false, 9, false, 8));
    Ladder ladder = Ladder.of(List.of(new Step(10_000, runs, atRedis, Verdict.HELD),
        new Step(20_000, runs, atRedis, Verdict.BEHIND)), 4);
    HotKeyAtRate.Result result = new HotKeyAtRate.Result(rows, 100_000, ladder, Duration.ofSeconds(1),
        Duration.ofSeconds(6), inProcess);
    new ScenarioWriter(dir, PagesTest.run()).write(new Outcome("hot-key-100k", result, null, 1, 10, Map.of()));
    String page = Files.readString(dir.resolve("hot-key-100k.md"), StandardCharsets.UTF_8);
    assertTrue(page.contains("| SINGLE_FLIGHT | CAFFEINE | 100,000 | 99,999 | 100 | 12 | 12 | 1.00 | 1.00 | 1 | "
        + "0.100 | 90.0-91.0 (machine-bound: lag) |"), page);
    assertTrue(page.contains("| XFETCH | CAFFEINE | 100,000 | 100,000 | 15.0 | 12 | 12 | 1.00 | 1.00 | 1 | 0.100 | "
        + "5.00-6.00 (machine-bound: floor) |"), page);
    assertTrue(page.contains("| CACHE_ASIDE | REDIS | 10,000 | 9,990-10,000 | 5.00 |"), page);
    assertTrue(page.contains("**Latency ranking, in process** (p99 in ms, lowest-highest over 2 repeats; `<`: the "
        + "ranges do not overlap, a difference above the noise of repeats; `~`: they overlap, no order can be "
        + "claimed): STALE_WHILE_REVALIDATE 8.00-9.00 < LAYERED_STACK 12.0-16.0. Not ranked (machine-bound): "
        + "SINGLE_FLIGHT, XFETCH.\n"), page);
    assertTrue(page.contains("10,000 requests/s on Redis, the highest step of the ladder below that held"), page);
    assertTrue(page.contains("+ 4.00 ms for the round trip; the climb stops at the first step that does not hold. "
        + "10,000/s: achieved 10,000, p99 4.50 / 9.00 ms against 7.00 / 8.00 ms (floor p99 1.00 ms): held; "
        + "20,000/s: achieved 10,000, p99 4.50 / 9.00 ms against 7.00 / 8.00 ms (floor p99 1.00 ms): generator "
        + "behind"), page);
    assertTrue(page.contains("**Floor (at the Redis rows' rate)**"), page);
    assertTrue(page.contains("- LAYERED_STACK (CAFFEINE): RejectedException: too many requests (6)"), page);
  }
  /** Issue 21's DISTRIBUTED_LOCK row at a fixed 10,000/s is a row of its own, not a repeat of the ladder's rows. */
  @Test
  void theFixedRateLockRowIsItsOwnRowAndNotRanked(@TempDir Path dir) throws Exception {
    Floor inProcess = FloorTest.floor(100_000, 5, 0.1, 3, 10);
    Floor atRedis = FloorTest.floor(20_000, 2, 0.1, 1, 4);
    List<HotKeyAtRate.Row> rows = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      rows.add(row("SINGLE_FLIGHT", "CAFFEINE", r, 100_000, 100_000, 15, 12, Map.of()));
      rows.add(row("DISTRIBUTED_LOCK", "REDIS", r, 20_000, 20_000, 5, 60 + r, Map.of()));
      rows.add(row("SINGLE_FLIGHT", "REDIS", r, 20_000, 20_000, 5, 40 + r, Map.of()));
    }
    rows.add(row("DISTRIBUTED_LOCK", "REDIS", 0, 10_000, 10_000, 5, 44, Map.of()));
    List<Run> runs = List.of(new Run(20_000, false, 4.5, false, 7));
    Ladder ladder = Ladder.of(List.of(new Step(20_000, runs, atRedis, Verdict.HELD)), 4);
    HotKeyAtRate.Result result = new HotKeyAtRate.Result(rows, 100_000, ladder, Duration.ofSeconds(1),
        Duration.ofSeconds(6), inProcess);
    new ScenarioWriter(dir, PagesTest.run()).write(new Outcome("hot-key-100k", result, null, 1, 10, Map.of()));
    String page = Files.readString(dir.resolve("hot-key-100k.md"), StandardCharsets.UTF_8);
    assertTrue(page.contains("| DISTRIBUTED_LOCK | REDIS | 20,000 | 20,000 | 5.00 | 12 | 12 | 1.00 | 1.00 | 1 | 0.100 "
        + "| 60.0-61.0 |"), page);
    assertTrue(page.contains("| DISTRIBUTED_LOCK | REDIS | 10,000 | 10,000 | 5.00 | 6 | 6 | 1.00 | 1.00 | 1 | 0.100 "
        + "| 44.0 |"), page);
    assertTrue(page.contains("**Latency ranking, on Redis**: SINGLE_FLIGHT 40.0-41.0 < DISTRIBUTED_LOCK 60.0-61.0."),
        page);
  }
}
