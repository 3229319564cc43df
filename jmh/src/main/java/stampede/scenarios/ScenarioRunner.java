package stampede.scenarios;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import stampede.report.MachineInfo;
import stampede.fixtures.RedisBackend;
import stampede.report.Charts;
import stampede.settings.BenchSettings;
import stampede.settings.Profile;

/**
 * Runs the open-loop scenarios and writes, per scenario, a Markdown table ({@code <id>.md}) and an XChart chart
 * ({@code <id>.png}) into {@code results/} (quick and full) or {@code jmh/target/bench-smoke/} (smoke), plus
 * {@code scenarios.json}: where and how it ran and every number behind the tables.
 *
 * <p>The seven scenarios of issue 12, in the order they run:
 * <ol>
 *   <li>{@link CallersSweep} ({@code callers-sweep}): 1 to 10,000 callers on one expired key;</li>
 *   <li>{@link HotKeyAtRate} ({@code hot-key-100k}): one hot key at 100,000 requests/s in process, and at the
 *       highest rate this machine sustains on Redis;</li>
 *   <li>{@link NodesSharingRedis} ({@code n-nodes}): 1, 2, 4 and 8 application nodes on one Redis;</li>
 *   <li>{@link Midnight} ({@code midnight}): a million keys written at once;</li>
 *   <li>{@link DatabaseOutage} ({@code database-outage}): the database fails for a window;</li>
 *   <li>{@link RedisOutage} ({@code redis-outage}): Redis stops for 10 s;</li>
 *   <li>{@link LockingEverywhere} ({@code locking}): 1,000 keys expire together, per-key, global and no locks.</li>
 * </ol>
 *
 * <p>It is the second half of the bench command ({@code mvn -B -ntp -P bench -pl jmh -am verify -DskipTests}), after
 * the JMH microbenchmarks, in one JVM of its own (heap 4 GB: the midnight scenario holds a million entries). Its
 * settings: {@code -Dbench.profile=smoke|quick|full}, {@code -Dscenarios.only=<regex on the id>},
 * {@code -Dbench.strategies=A,B} (keeps those rows), {@code -Dscenario.redis=both|standalone|cluster} (where n-nodes
 * runs; default both) and
 * {@code -Dscenarios.dryRun=true} (prints the plan). Before the caller threads start it enlarges the process's
 * futex hash ({@link FutexHash}); the outcome is printed on every table.
 *
 * <p>Every scenario runs even if an earlier one failed; a failed scenario's page says why and the runner exits with
 * status 1 at the end, so the Maven build fails.
 */
public final class ScenarioRunner {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Lettuce logs every reconnect attempt at INFO (the Redis outage makes hundreds): warnings only. */
  private static final Logger LETTUCE = Logger.getLogger("io.lettuce");

  private ScenarioRunner() {
  }

  /** Every scenario, in running order. */
  static List<Scenario> all() {
    return List.of(new CallersSweep(), new HotKeyAtRate(), new NodesSharingRedis(), new Midnight(),
        new DatabaseOutage(), new RedisOutage(), new LockingEverywhere());
  }

  /** The scenarios whose id {@code only} (a regex, empty for all) finds. */
  static List<Scenario> select(String only) {
    Pattern p = only == null || only.isBlank() ? null : Pattern.compile(only);
    return all().stream().filter(s -> p == null || p.matcher(s.id()).find()).toList();
  }

  public static void main(String[] args) throws Exception {
    LETTUCE.setLevel(Level.WARNING);
    BenchSettings settings = BenchSettings.fromSystem();
    Profile profile = settings.profile();
    Path out = settings.out();
    List<Scenario> scenarios = select(settings.scenariosOnly());

    System.out.printf(Locale.ROOT, "[scenarios] profile %s, output %s, %d scenario(s): %s%n", profile.id(),
        out.toAbsolutePath(), scenarios.size(), scenarios.stream().map(Scenario::id).toList());
    if (settings.scenariosDryRun() || scenarios.isEmpty()) {
      return;
    }
    String futex = FutexHash.enlarge(16_384);
    System.out.println("[scenarios] " + futex);
    if (Arrays.asList(args).contains("--futex-only")) {
      return;
    }

    Files.createDirectories(out);
    long start = System.nanoTime();

    Map<String, Object> info = MachineInfo.collect();
    info.put("profile", profile.id());
    info.put("command", settings.scenariosCommand());
    info.put("futexHash", futex);
    info.put("jvmArgs", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    String stamp = String.format(Locale.ROOT, "Run: %s on %s cores (%s, %s), JVM %s, profile `%s`; %s. Command: `%s`.",
        info.get("date"), info.get("cores"), info.get("cpuModel"), info.get("os"), info.get("jvmVersion"),
        profile.id(), futex, info.get("command"));

    Context ctx = new Context(settings, null, OpenLoop.Clock.system());
    Map<String, Object> results = new LinkedHashMap<>();
    Map<String, Object> seconds = new LinkedHashMap<>();
    List<String> failed = new ArrayList<>();
    for (Scenario s : scenarios) {
      long t0 = System.nanoTime();
      int threads = s.callerThreads(profile);
      double poolSeconds = ctx.resize(threads);
      ctx.log("%s: start (%,d caller threads%s)", s.id(), threads,
          poolSeconds > 0 ? String.format(Locale.ROOT, ", started in %.1f s", poolSeconds) : "");
      Report report;
      ctx.newMeters();
      try {
        report = s.run(ctx);
      } catch (Exception | Error e) {
        failed.add(s.id());
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        System.err.println("[scenarios] " + s.id() + " FAILED: " + trace);
        report = new Report(s.id(), s.id() + ": failed", "This scenario failed in this run: `" + e + "`.");
        report.note("Stack trace in the build log.");
      }
      double took = (System.nanoTime() - t0) / 1e9;
      seconds.put(s.id(), Math.round(took));
      if (report.chart != null) {
        try {
          Charts.save(report.chart, out.resolve(s.id() + ".png"));
        } catch (Exception | Error e) {
          failed.add(s.id() + " (chart)");
          System.err.println("[scenarios] " + s.id() + ": the chart failed: " + e);
          report.note("The chart of this run failed: `" + e + "`.");
          report.chart = null;
        }
      }
      Files.writeString(out.resolve(s.id() + ".md"), report.markdown(stamp + String.format(Locale.ROOT,
          " This scenario took %.0f s, with %,d caller threads.", took, threads)), StandardCharsets.UTF_8);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("title", report.title);
      r.put("seconds", Math.round(took));
      r.put("callerThreads", threads);
      r.put("data", report.data);
      r.put("rows", report.rows);
      r.put("meters", Context.totals(ctx.newMeters())); // what stampede-micrometer recorded, by meter name and tags
      results.put(s.id(), r);
      ctx.log("%s: %.0f s, wrote %s", s.id(), took, out.resolve(s.id() + ".md"));
    }
    if (ctx.callers != null) {
      ctx.callers.close();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    info.put("scenarioSeconds", seconds);
    info.put("wallSeconds", Math.round(wall));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("run", info);
    doc.put("scenarios", results);
    Files.writeString(out.resolve("scenarios.json"), JSON.writeValueAsString(doc) + "\n", StandardCharsets.UTF_8);
    System.out.printf(Locale.ROOT, "[scenarios] done: %d scenario(s) in %.0f s%s%n", scenarios.size(), wall,
        failed.isEmpty() ? "" : ", FAILED: " + failed);
    System.exit(failed.isEmpty() ? 0 : 1); // Redisson's and Lettuce's event loops are not daemons
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
