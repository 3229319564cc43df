package stampede.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import stampede.core.Nullable;

/**
 * The settings of the bench command, read once and passed to both runners, every JMH plan and every scenario. The
 * defaults and their documentation are in one file, {@code jmh/src/main/resources/reference.conf} (read with
 * Typesafe Config, as Caffeine's simulator reads its {@code reference.conf}); a system property of the same name
 * overrides a default ({@code -Dbench.profile=smoke}). This is the only class that reads system properties.
 *
 * @param profile         {@code bench.profile}: smoke, quick or full
 * @param out             where the tables, charts and JSON go: {@code bench.out} if set, else {@code bench.smokeDir}
 *                        for smoke and {@code bench.resultsDir} for quick and full
 * @param jmhOnly         {@code bench.only}: a regex on a JMH benchmark's {@code Class.method}; empty for all
 * @param strategies      {@code bench.strategies}: the contenders kept, by name; empty for all
 * @param scenariosOnly   {@code scenarios.only}: a regex on a scenario id; empty for all
 * @param redis           {@code scenario.redis}: where the N-nodes scenario runs
 * @param jmhDryRun       {@code bench.dryRun}: the JMH runner prints its plan only
 * @param scenariosDryRun {@code scenarios.dryRun}: the scenario runner prints its plan only
 * @param calibration     {@code scenarios.calibration}: the machine-bound rule's margins, the repeats of this profile
 */
public record BenchSettings(Profile profile, Path out, String jmhOnly, List<String> strategies, String scenariosOnly,
    RedisTopology redis, boolean jmhDryRun, boolean scenariosDryRun, Calibration calibration) {

  /** The command both runners print and record: the bench command with the settings that differ from it. */
  static final String COMMAND = "mvn -B -ntp -P bench -pl jmh -am verify -DskipTests";

  public BenchSettings {
    strategies = List.copyOf(strategies);
  }

  /** The settings of this JVM: {@code reference.conf} under its system properties. */
  public static BenchSettings fromSystem() {
    return from(System.getProperties());
  }

  /** The settings {@code overrides} (system properties, say) give over {@code reference.conf}. */
  public static BenchSettings from(Properties overrides) {
    Config c = ConfigFactory.parseProperties(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    Profile profile = Profile.of(c.getString("bench.profile"));
    String out = c.getString("bench.out").trim();
    Path dir = Path.of(!out.isEmpty() ? out
        : profile == Profile.SMOKE ? c.getString("bench.smokeDir") : c.getString("bench.resultsDir"));
    return new BenchSettings(profile, dir, c.getString("bench.only"), names(c.getString("bench.strategies")),
        c.getString("scenarios.only"), RedisTopology.of(c.getString("scenario.redis")),
        flag(c.getString("bench.dryRun")), flag(c.getString("scenarios.dryRun")), calibration(c, profile));
  }

  /** {@code scenarios.calibration}, its repeats those of {@code profile}. */
  static Calibration calibration(Config c, Profile profile) {
    Config k = c.getConfig("scenarios.calibration");
    return new Calibration(k.getDouble("p99Factor"), k.getDouble("p99PlusMs"), k.getDouble("lagMinMs"),
        k.getDouble("lagFactor"), k.getInt("repeats." + profile.id()), k.getDouble("ladderPlusMs"));
  }

  /** "A, B" to [A, B]; blank to none. */
  static List<String> names(String list) {
    return list.isBlank() ? List.of() : Arrays.stream(list.split(",")).map(String::trim).toList();
  }

  /** As {@link Boolean#parseBoolean}: "true" in any case is true, anything else (blank too) false. */
  static boolean flag(String value) {
    return Boolean.parseBoolean(value.trim());
  }

  /** True if {@code bench.strategies} keeps the contender {@code name} (it names none, or it names this one). */
  public boolean keeps(String name) {
    return strategies.isEmpty() || strategies.contains(name);
  }

  /** The JMH benchmarks {@code bench.only} selects: null for all. */
  public @Nullable Pattern jmhPattern() {
    return jmhOnly.isBlank() ? null : Pattern.compile(jmhOnly);
  }

  /** The scenarios {@code scenarios.only} selects: null for all. */
  public @Nullable Pattern scenariosPattern() {
    return scenariosOnly.isBlank() ? null : Pattern.compile(scenariosOnly);
  }

  /** The bench command that gives the JMH half these settings (as {@code run-info.json} records it). */
  public String jmhCommand() {
    return COMMAND + " -Dbench.profile=" + profile.id() + option("bench.only", jmhOnly)
        + option("bench.strategies", String.join(",", strategies));
  }

  /** The bench command that gives the scenarios these settings (as {@code scenarios.json} records it). */
  public String scenariosCommand() {
    return COMMAND + " -Dbench.profile=" + profile.id() + option("scenarios.only", scenariosOnly)
        + option("bench.strategies", String.join(",", strategies));
  }

  private static String option(String name, String value) {
    return value.isBlank() ? "" : " -D" + name + "=" + value;
  }
}
