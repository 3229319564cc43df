package stampede.scenarios;

import stampede.core.Nullable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import stampede.report.ChartSpec;
import stampede.report.Table;

/**
 * What {@link SharedHotKey} measured: a row per contender (and store), the sizes, the floor at the total rate, where
 * Redis ran and the peer's description; its page is {@code shared-hot-key.mustache}.
 */
record SharedHotKeyResult(List<SharedHotKey.Row> rows, int nodes, double perNode, Duration warmup,
    Duration measure, Floor floor, String redis, List<Map<String, String>> peers) implements Measured {

  @Override
  public Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("nodes", nodes);
    d.put("perNodePerSecond", perNode);
    d.put("floor", floor.data());
    return d;
  }

  @Override
  public Map<String, Object> view() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("floor", floor.view());
    v.put("nodes", nodes);
    v.put("perNode", Table.rate(perNode));
    v.put("rate", Table.rate(nodes * perNode));
    v.put("redis", redis);
    v.put("warmup", seconds(warmup));
    v.put("measure", seconds(measure));
    v.put("deadline", Table.count(SharedHotKey.DEADLINE.toMillis()));
    v.put("peers", peers);
    v.put("table", table());
    v.put("commands", rows.stream().map(r -> Map.of("row", r.contender(), "top", top(r), "last",
        rows.indexOf(r) == rows.size() - 1)).toList());
    v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.contender(), r.errorKinds())).toList()));
    return v;
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }

  /** The row's three busiest commands, per second: "get 24,100/s, evalsha 3/s". */
  private static String top(SharedHotKey.Row r) {
    return new CommandStats(r.redisCommands()).top(3).entrySet().stream().map(e -> e.getKey() + " "
        + Table.rate(e.getValue() / r.windowSeconds()) + "/s").collect(Collectors.joining(", "));
  }

  Table table() {
    Table t = new Table("row", "store", ">achieved/s (all nodes)", ">answered/s", ">loads per expiry", ">p50 ms",
        ">p99 ms", ">Redis commands/s", ">L1 hit ratio", ">invalidation p50 ms", ">p99 ms", ">max ms", ">errors",
        ">peak callers in flight");
    for (SharedHotKey.Row r : rows) {
      InvalidationLatency.Summary inv = r.invalidation();
      t.row(r.contender(), r.store(), Steady.achieved(r.achievedPerSecond(), r.behind()),
          Table.rate(r.answeredPerSecond()), Table.ratio(r.loadsPerExpiry()), Table.ms(r.p50ms()), floor.p99(r.p99ms()),
          Table.rate(r.redisCommandsPerSecond()), Double.isNaN(r.l1HitRatio()) ? "-" : percent(r.l1HitRatio()),
          Table.ms(inv.p50ms()), Table.ms(inv.p99ms()), Table.ms(inv.maxMs()) + (inv.never() > 0
          ? String.format(Locale.ROOT, " (%d of %d never)", inv.never(), inv.writes() * (long) inv.nodes()) : ""),
          Table.percent(r.errors(), r.requests()), Steady.callers(r.peakCallers(), r.callerPoolExhausted()));
    }
    return t;
  }

  private static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * ratio);
  }

  /** Requests answered and Redis commands per second, a bar pair per row, on a log axis (the rate sent: the title). */
  @Override
  public ChartSpec chart() {
    List<String> names = rows.stream().map(SharedHotKey.Row::contender).toList();
    ChartSpec c = ChartSpec.bars("One hot key, " + Table.rate(nodes * perNode) + " requests/s sent to " + nodes
        + " nodes sharing one Redis: answered, and Redis commands (per second, log scale)", "row", "per second", true,
        names);
    c.bars("requests answered/s", rows.stream().map(r -> positive(r.answeredPerSecond())).toList());
    c.bars("Redis commands/s", rows.stream().map(r -> positive(r.redisCommandsPerSecond())).toList());
    return c;
  }

  private static @Nullable Double positive(double y) {
    return y > 0 ? y : null;
  }
}
