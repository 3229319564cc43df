package stampede.scenarios;

import stampede.core.Nullable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StrategyType;
import stampede.report.Table;
import stampede.settings.Calibration;

/**
 * The Redis ladder of the hot-key page: the rate its Redis rows run at, the highest of a ladder of rates at which
 * cache-aside hits on one redis-server keep up. A single short run's p99 against a fixed threshold picked 10,000/s in
 * one run and not even 1,000/s in the next on the same machine; so each step is judged against the floor measured
 * at the same rate in the same moment, and repeated:
 *
 * <p>each step runs {@code repeats} times (the {@link Calibration}'s), each time the floor (a no-op call through the
 * same generator and caller pool) and right after it the Redis hits, for the same window; the step <b>holds</b> if
 * in every repeat the generator kept within 5% of the rate and no caller queued for a thread, and in at least one
 * repeat the hits' p99 is at most the machine-bound limit of the floor just before it ({@link MachineBound#p99Limit})
 * plus {@code ladderPlusMs} for the round trip: each repeat is judged against the machine as it was at that moment,
 * and one noisy repeat does not decide. The climb stops at the first step that does not hold; the rows
 * run at the last step that held (the first step if none did, and the page says so). Every step's figures and
 * verdict are published, so two runs that pick different steps show why.
 *
 * @param rate      the rate the Redis rows ran at
 * @param sustained false if not even the first step held
 * @param steps     the steps climbed, the last one the first that failed (if any did)
 * @param floor     the floor at {@code rate} (the step's, its repeats gathered); null with no ladder
 * @param plusMs    the round trip's allowance ({@code scenarios.calibration.ladderPlusMs})
 */
record Ladder(double rate, boolean sustained, List<Ladder.Step> steps, @Nullable Floor floor, double plusMs) {

  /** No Redis row: no ladder. */
  static Ladder none() {
    return new Ladder(0, false, List.of(), null, 0);
  }

  /**
   * One repeat of a step: what the generator achieved, the hits' p99, whether every caller thread was busy, and the
   * p99 limit of the floor measured just before it.
   */
  record Run(double achievedPerSecond, boolean behind, double p99ms, boolean exhausted, double p99LimitMs) {

    boolean withinLimit() {
      return p99ms <= p99LimitMs;
    }
  }

  /** How a step was judged. */
  enum Verdict { HELD, BEHIND, POOL_EXHAUSTED, ABOVE_FLOOR }

  /** One step: its rate, repeats, floor (its repeats gathered) and verdict. */
  record Step(double target, List<Run> runs, Floor floor, Verdict verdict) {

    /** The limits the repeats were judged against. */
    Spread limits() {
      return Spread.of(runs, Run::p99LimitMs);
    }

    Spread achieved() {
      return Spread.of(runs, Run::achievedPerSecond);
    }

    Spread p99() {
      return Spread.of(runs, Run::p99ms);
    }
  }

  /** The step's p99 limit: the floor's machine-bound limit plus the round trip's allowance. */
  static double limit(Floor floor, double plusMs) {
    return floor.rule().p99Limit(floor.p99ms()) + plusMs;
  }

  /** The rule (see the class comment): the generator and the pool in every repeat, the p99 in at least one. */
  static Verdict judge(List<Run> runs) {
    if (runs.stream().anyMatch(Run::behind)) {
      return Verdict.BEHIND;
    }
    if (runs.stream().anyMatch(Run::exhausted)) {
      return Verdict.POOL_EXHAUSTED;
    }
    return runs.stream().anyMatch(Run::withinLimit) ? Verdict.HELD : Verdict.ABOVE_FLOOR;
  }

  /** The rate the Redis rows run at, from {@code steps} climbed in order (see the class comment). */
  static Ladder of(List<Step> steps, double plusMs) {
    Step kept = null;
    for (Step s : steps) {
      if (s.verdict() != Verdict.HELD) {
        break;
      }
      kept = s;
    }
    Step at = kept != null ? kept : steps.get(0);
    return new Ladder(at.target(), kept != null, steps, at.floor(), plusMs);
  }

  /** Climbs {@code rates} on {@code redis} with cache-aside hits, {@code window} per repeat (see the class comment). */
  static Ladder climb(Context ctx, RedisBackend redis, double[] rates, Duration window) {
    Calibration cal = ctx.settings().calibration();
    Database db = Context.database(HotKeyAtRate.LOAD_MS, 3_600_000);
    Env env = redis.node(db, Duration.ofHours(1), "hk-ladder:", null);
    try {
      BenchCache cache = Contender.of(StrategyType.CACHE_ASIDE).create(env);
      cache.get(HotKeyAtRate.KEY);
      // not measured: the JIT compiles the Redis read path before the first step
      Steady.run(ctx, db, List.of(env.counters), rates[0], window, Duration.ofMillis(100),
          i -> cache.get(HotKeyAtRate.KEY));
      List<Step> steps = new ArrayList<>();
      for (double rate : rates) {
        List<Floor> floors = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < cal.repeats(); r++) {
          Floor floor = Floor.measure(ctx, rate, Duration.ofMillis(300), window);
          floors.add(floor);
          Steady s = Steady.run(ctx, db, List.of(env.counters), rate, Duration.ofMillis(300), window,
              i -> cache.get(HotKeyAtRate.KEY));
          runs.add(new Run(s.result().achievedPerSecond(), s.result().behind(), s.p(99), s.exhausted(),
              limit(floor, cal.ladderPlusMs())));
        }
        Step step = new Step(rate, runs, Floor.across(floors), judge(runs));
        steps.add(step);
        ctx.log("hot-key-100k Redis ladder %s/s: achieved %s, p99 %s ms (limits %s ms): %s", Table.rate(rate),
            step.achieved().rate(), step.p99().ms(), step.limits().ms(), step.verdict());
        if (step.verdict() != Verdict.HELD) {
          break;
        }
      }
      return of(steps, cal.ladderPlusMs());
    } finally {
      env.close();
      redis.flushAll();
    }
  }

  /** For {@code scenarios.json}: the rate, and each step's runs, floor, limit and verdict. */
  Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("rate", rate);
    d.put("sustained", sustained);
    d.put("plusMs", plusMs);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Step s : steps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("targetPerSecond", s.target());
      m.put("runs", s.runs());
      m.put("floor", s.floor().data());
      m.put("verdict", s.verdict().name());
      out.add(m);
    }
    d.put("steps", out);
    return d;
  }

  /** The values of the page's ladder block: a list of one (none without steps). */
  List<Map<String, Object>> view() {
    if (steps.isEmpty()) {
      return List.of();
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Step s : steps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("first", rows.isEmpty());
      m.put("target", Table.rate(s.target()));
      m.put("achieved", s.achieved().rate());
      m.put("p99", s.runs().stream().map(r -> Table.ms(r.p99ms())).collect(Collectors.joining(" / ")));
      m.put("limit", s.runs().stream().map(r -> Table.ms(r.p99LimitMs())).collect(Collectors.joining(" / ")));
      m.put("floorP99", s.floor().p99s().ms());
      m.put(s.verdict().name().toLowerCase(java.util.Locale.ROOT), true);
      rows.add(m);
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("steps", rows);
    v.put("repeats", steps.get(0).runs().size());
    v.put("plusMs", Table.ms(plusMs));
    return List.of(v);
  }
}
