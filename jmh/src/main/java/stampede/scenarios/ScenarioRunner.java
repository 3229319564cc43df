package stampede.scenarios;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import stampede.report.MachineInfo;
import stampede.settings.BenchSettings;

/**
 * Runs the open-loop scenarios and writes, per scenario, a Markdown table ({@code <id>.md}) and an XChart chart
 * ({@code <id>.png}) into {@code results/} (quick and full) or {@code jmh/target/bench-smoke/} (smoke), plus
 * {@code scenarios.json}: where and how it ran and every number behind the tables.
 *
 * <p>The seven scenarios of issue 12, issue 21's and issue 22's, in the order they run:
 * <ol>
 *   <li>{@link CallersSweep} ({@code callers-sweep}): 1 to 10,000 callers on one expired key;</li>
 *   <li>{@link HotKeyAtRate} ({@code hot-key-100k}): one hot key at 100,000 requests/s in process, and at the
 *       highest rate this machine sustains on Redis;</li>
 *   <li>{@link NodesSharingRedis} ({@code n-nodes}): 1, 2, 4 and 8 application nodes on one Redis;</li>
 *   <li>{@link Midnight} ({@code midnight}): a million keys written at once;</li>
 *   <li>{@link DatabaseOutage} ({@code database-outage}): the database fails for a window;</li>
 *   <li>{@link RedisOutage} ({@code redis-outage}): Redis stops for 10 s;</li>
 *   <li>{@link LockingEverywhere} ({@code locking}): 1,000 keys expire together, per-key, global and no locks;</li>
 *   <li>{@link SharedHotKey} ({@code shared-hot-key}, issue 21): one hot key at 100,000 requests/s on 4 nodes
 *       sharing one Redis, with and without the near cache.</li>
 *   <li>{@link PriorityOverload} ({@code priority-overload}, issue 22): offered loads ramp to 3x the database's
 *       capacity and back; who is answered, by priority class.</li>
 * </ol>
 *
 * <p>Each scenario measures and returns a {@link Measured} record; {@link ScenarioWriter} writes it (the page from
 * the scenario's template, the chart, the JSON). Adding a scenario is a measuring class, its template
 * ({@code <id>.mustache} in the resources, next to it) and its entry in {@link #all()}.
 *
 * <p>It is the second half of the bench command ({@code mvn -B -ntp -P bench -pl jmh -am verify -DskipTests}), after
 * the JMH microbenchmarks, in one JVM of its own (heap 4 GB: the midnight scenario holds a million entries). Its
 * settings are {@link BenchSettings} (documented in {@code reference.conf}): {@code -Dbench.profile=smoke|quick|full},
 * {@code -Dscenarios.only=<regex on the id>}, {@code -Dbench.strategies=A,B} (keeps those rows),
 * {@code -Dscenario.redis=both|standalone|cluster} (where n-nodes runs; default both) and
 * {@code -Dscenarios.dryRun=true} (prints the plan). Before the caller threads start it enlarges the process's
 * futex hash ({@link FutexHash}); the outcome is printed on every table.
 *
 * <p>Every scenario runs even if an earlier one failed; a failed scenario's page says why and the runner exits with
 * status 1 at the end, so the Maven build fails.
 */
public final class ScenarioRunner {
  /** Lettuce logs every reconnect attempt at INFO (the Redis outage makes hundreds): warnings only. */
  private static final Logger LETTUCE = Logger.getLogger("io.lettuce");

  private ScenarioRunner() {
  }

  /** Every scenario, in running order: the plan. */
  static List<Scenario> all() {
    return List.of(new CallersSweep(), new HotKeyAtRate(), new NodesSharingRedis(), new Midnight(),
        new DatabaseOutage(), new RedisOutage(), new LockingEverywhere(), new SharedHotKey(),
        new PriorityOverload());
  }

  /** The scenarios whose id {@code only} (a regex, empty for all) finds. */
  static List<Scenario> select(String only) {
    Pattern p = only == null || only.isBlank() ? null : Pattern.compile(only);
    return all().stream().filter(s -> p == null || p.matcher(s.id()).find()).toList();
  }

  public static void main(String[] args) throws Exception {
    LETTUCE.setLevel(Level.WARNING);
    BenchSettings settings = BenchSettings.fromSystem();
    List<Scenario> plan = select(settings.scenariosOnly());
    System.out.printf(Locale.ROOT, "[scenarios] profile %s, output %s, %d scenario(s): %s%n", settings.profile().id(),
        settings.out().toAbsolutePath(), plan.size(), plan.stream().map(Scenario::id).toList());
    if (settings.scenariosDryRun() || plan.isEmpty()) {
      return;
    }
    String futex = FutexHash.enlarge(16_384);
    System.out.println("[scenarios] " + futex);
    if (Arrays.asList(args).contains("--futex-only")) {
      return;
    }
    List<String> failed = runAll(settings, plan, futex);
    System.exit(failed.isEmpty() ? 0 : 1); // Redisson's and Lettuce's event loops are not daemons
  }

  /**
   * Runs the plan one scenario after the other, writing each one's page and chart as soon as it ran, then
   * {@code scenarios.json}; returns the scenarios (and charts) that failed.
   */
  static List<String> runAll(BenchSettings settings, List<Scenario> plan, String futex) throws IOException {
    Files.createDirectories(settings.out());
    long start = System.nanoTime();
    Map<String, Object> run = runInfo(settings, futex);
    Map<String, Object> seconds = new LinkedHashMap<>();
    ScenarioWriter writer = new ScenarioWriter(settings.out(), run, all().stream().map(Scenario::id).toList(),
        !settings.scenariosOnly().isBlank());
    Context ctx = new Context(settings, null, OpenLoop.Clock.system());
    for (Scenario s : plan) {
      Outcome o = run(ctx, s);
      seconds.put(s.id(), Math.round(o.seconds()));
      ctx.log("%s: %.0f s, wrote %s", s.id(), o.seconds(), writer.write(o));
    }
    ctx.close();
    double wall = (System.nanoTime() - start) / 1e9;
    run.put("scenarioSeconds", seconds);
    run.put("wallSeconds", Math.round(wall));
    List<String> failed = writer.finish();
    System.out.printf(Locale.ROOT, "[scenarios] done: %d scenario(s) in %.0f s%s%n", plan.size(), wall,
        failed.isEmpty() ? "" : ", FAILED: " + failed);
    return failed;
  }

  /** Where and how this run happens: the machine, the profile, the command, the futex hash, the JVM's flags. */
  static Map<String, Object> runInfo(BenchSettings settings, String futex) {
    Map<String, Object> info = MachineInfo.collect();
    info.put("profile", settings.profile().id());
    info.put("command", settings.scenariosCommand());
    info.put("futexHash", futex);
    info.put("jvmArgs", ManagementFactory.getRuntimeMXBean().getInputArguments());
    return info;
  }

  /**
   * Runs one scenario on a caller pool of its size, with a registry of its own. A scenario that fails does not stop
   * the run: its page says why, and the runner exits with status 1 at the end.
   */
  static Outcome run(Context ctx, Scenario s) {
    long t0 = System.nanoTime();
    int threads = s.callerThreads(ctx.profile());
    double poolSeconds = ctx.resize(threads);
    ctx.log("%s: start (%,d caller threads%s)", s.id(), threads,
        poolSeconds > 0 ? String.format(Locale.ROOT, ", started in %.1f s", poolSeconds) : "");
    ctx.newMeters();
    Measured measured = null;
    Throwable failure = null;
    try {
      measured = s.run(ctx);
    } catch (Exception | Error e) {
      failure = e;
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      System.err.println("[scenarios] " + s.id() + " FAILED: " + trace);
    }
    double took = (System.nanoTime() - t0) / 1e9;
    return new Outcome(s.id(), measured, failure, took, threads, Context.totals(ctx.newMeters()));
  }

  /*
   * How to run it: the bench command runs it after the JMH benchmarks; alone (the JMH half skipped):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=midnight
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dbench.profile=smoke
   *
   * or from the shaded jar (JDK 17; the two flags let it enlarge the futex hash, see FutexHash):
   *
   *   java -Xmx4g -Djava.awt.headless=true --add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED \
   *       -Dbench.profile=quick -cp jmh/target/benchmarks.jar stampede.scenarios.ScenarioRunner
   */
}
