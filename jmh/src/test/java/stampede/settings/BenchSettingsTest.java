package stampede.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bench command's settings: the defaults of reference.conf per profile, each -D override, and the commands the
 * runners record. The -D names are the README's; they must keep working unchanged.
 */
class BenchSettingsTest {

  @Test
  void theDefaultsAreTheQuickProfileIntoResultsWithNoSubset() {
    BenchSettings s = TestSettings.of();
    assertEquals(Profile.QUICK, s.profile());
    assertEquals(Path.of("results"), s.out());
    assertEquals("", s.jmhOnly());
    assertNull(s.jmhPattern());
    assertEquals(List.of(), s.strategies());
    assertTrue(s.keeps("ANYTHING"));
    assertEquals("", s.scenariosOnly());
    assertNull(s.scenariosPattern());
    assertEquals(RedisTopology.BOTH, s.redis());
    assertFalse(s.jmhDryRun());
    assertFalse(s.scenariosDryRun());
    assertEquals("mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=quick", s.jmhCommand());
    assertEquals(s.jmhCommand(), s.scenariosCommand());
  }

  @Test
  void eachProfileWritesWhereItShould() {
    assertEquals(Path.of("jmh/target/bench-smoke"), TestSettings.of("bench.profile=smoke").out());
    assertEquals(Path.of("results"), TestSettings.of("bench.profile=quick").out());
    assertEquals(Path.of("results"), TestSettings.of("bench.profile=full").out());
    assertEquals(Profile.FULL, TestSettings.of("bench.profile=FULL").profile());
    // the bench command passes both folders as absolute paths; bench.out wins over both
    assertEquals(Path.of("/tmp/s"), TestSettings.of("bench.profile=smoke", "bench.smokeDir=/tmp/s",
        "bench.resultsDir=/tmp/r").out());
    assertEquals(Path.of("/tmp/r"), TestSettings.of("bench.smokeDir=/tmp/s", "bench.resultsDir=/tmp/r").out());
    assertEquals(Path.of("x"), TestSettings.of("bench.profile=smoke", "bench.smokeDir=/tmp/s", "bench.out=x").out());
  }

  @Test
  void eachOverrideIsRead() {
    BenchSettings s = TestSettings.of("bench.profile= Smoke ", "bench.only=HitPath|Contention",
        "bench.strategies=SINGLE_FLIGHT, CACHE_ASIDE", "scenarios.only=outage", "scenario.redis=cluster",
        "bench.dryRun=true", "scenarios.dryRun=TRUE");
    assertEquals(Profile.SMOKE, s.profile());
    assertEquals("HitPath|Contention", s.jmhOnly());
    assertTrue(s.jmhPattern().matcher("ContentionBenchmark.strategyGet").find());
    assertEquals(List.of("SINGLE_FLIGHT", "CACHE_ASIDE"), s.strategies());
    assertTrue(s.keeps("CACHE_ASIDE"));
    assertFalse(s.keeps("XFETCH"));
    assertEquals("outage", s.scenariosOnly());
    assertTrue(s.scenariosPattern().matcher("redis-outage").find());
    assertEquals(RedisTopology.CLUSTER, s.redis());
    assertTrue(s.jmhDryRun());
    assertTrue(s.scenariosDryRun());
    assertEquals(RedisTopology.STANDALONE, TestSettings.of("scenario.redis=standalone").redis());
    assertEquals("mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke"
        + " -Dbench.only=HitPath|Contention -Dbench.strategies=SINGLE_FLIGHT,CACHE_ASIDE", s.jmhCommand());
    assertEquals("mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke"
        + " -Dscenarios.only=outage -Dbench.strategies=SINGLE_FLIGHT,CACHE_ASIDE", s.scenariosCommand());
  }

  @Test
  void theEmptyValuesTheBenchCommandPassesMeanTheDefaults() {
    // jmh/pom.xml's bench profile always passes every property, empty when the user set none
    BenchSettings s = TestSettings.of("bench.profile=", "bench.only=", "bench.strategies=", "scenarios.only=",
        "scenario.redis=", "bench.dryRun=", "scenarios.dryRun=");
    assertEquals(TestSettings.of(), s);
  }

  @Test
  void aWrongValueNamesItsSetting() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TestSettings.of("bench.profile=medium"))
        .getMessage().contains("bench.profile"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TestSettings.of("scenario.redis=sentinel"))
        .getMessage().contains("scenario.redis"));
    assertEquals("b", Profile.QUICK.pick("a", "b", "c"));
    assertTrue(Profile.FULL.atLeast(Profile.QUICK) && !Profile.SMOKE.atLeast(Profile.QUICK));
  }

  @Test
  void theMachineBoundMarginsAndRepeatsComeFromReferenceConfPerProfile() {
    assertEquals(new Calibration(2.0, 1.0, 20.0, 2.0, 2, 4.0), TestSettings.of().calibration());
    assertEquals(3, TestSettings.of("bench.profile=full").calibration().repeats());
    assertEquals(3.0, TestSettings.of("scenarios.calibration.p99Factor=3").calibration().p99Factor());
    assertEquals(1, TestSettings.of("scenarios.calibration.repeats.quick=1").calibration().repeats());
    assertThrows(IllegalArgumentException.class, () -> TestSettings.of("scenarios.calibration.repeats.quick=0"));
  }
}
