package stampede.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.options.Options;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.jmh.BenchmarkRunner.Bench;
import stampede.jmh.BenchmarkRunner.Iterations;
import stampede.jmh.BenchmarkRunner.Job;
import stampede.settings.BenchSettings;
import stampede.settings.Profile;

/**
 * The runner reads each benchmark's settings from its annotations, as JMH's annotation processor lists them, and
 * changes them only by its profile's rule.
 */
class BenchmarkRunnerTest {

  @Test
  void everyBenchmarkMethodDeclaresItsRunSettingsAndBelongsToAPlannedClass() {
    List<BenchmarkListEntry> all = BenchmarkRunner.benchmarkList();
    assertEquals(11, all.size(), "the @Benchmark methods of the six classes");
    Set<String> planned = Arrays.stream(Bench.values()).map(b -> b.className).collect(Collectors.toSet());
    for (BenchmarkListEntry e : all) {
      Iterations s = Iterations.of(e); // throws if an annotation or a value is missing
      assertTrue(s.forks() >= 1 && s.iterations() >= 1, e.getUsername());
      assertTrue(planned.contains(e.getUserClassQName()), e.getUserClassQName() + " is declared in Bench");
    }
  }

  @Test
  void quickRunsTheAnnotationsAsWritten() {
    Iterations hot = Iterations.of(entry("HotKeyBenchmark.get"));
    assertEquals(new Iterations(1, 1, Duration.ofSeconds(1), 2, Duration.ofSeconds(1)), hot);
    assertEquals(new Iterations(1, 3, Duration.ofMillis(400), 5, Duration.ofMillis(400)),
        Iterations.of(entry("HitPathBenchmark.strategyGet")), "time units other than seconds");
    for (Job j : BenchmarkRunner.jobs(Profile.QUICK, "", List.of())) {
      assertEquals(j.plan().settings(), j.settings(), j.plan().name());
    }
  }

  @Test
  void theHitPathHasAnErrorIntervalAndItsBytesPerCallAndStaysWithinItsShare() {
    for (BenchmarkListEntry e : BenchmarkRunner.benchmarkList()) {
      if (e.getUsername().matches(".*(HitPath|Contention)Benchmark\\..*")) {
        assertTrue(Iterations.of(e).iterations() >= 5, e.getUsername() + ": enough iterations for an error interval");
      }
    }
    List<Job> hitPath = BenchmarkRunner.jobs(Profile.QUICK, "HitPath|Contention", List.of());
    assertTrue(hitPath.stream().allMatch(j -> j.plan().bench().gcProfile), "-prof gc on every hit-path run");
    assertTrue(BenchmarkRunner.jobs(Profile.QUICK, "SpreadKeys", List.of()).stream()
        .allMatch(j -> BenchmarkRunner.options(j).build().getProfilers().isEmpty()), "no -prof gc elsewhere");
    assertTrue(hitPath.stream().anyMatch(j -> j.plan().method().equals("caffeine.*")), "the Caffeine baselines");
    for (Job j : hitPath) {
      assertTrue(BenchmarkRunner.options(j).build().getProfilers().size() == 1, j.plan().name());
    }
    double seconds = hitPath.stream().mapToDouble(Job::seconds).sum();
    assertTrue(seconds < 5 * 60, "hit path and contention estimate " + seconds + " s");
  }

  @Test
  void smokeAndFullTransformEveryBenchmarkByOneRule() {
    for (Job j : BenchmarkRunner.jobs(Profile.SMOKE, "", List.of())) {
      assertEquals(new Iterations(1, 0, j.plan().settings().warmupTime(), 1, Duration.ofSeconds(1)), j.settings());
    }
    for (Job j : BenchmarkRunner.jobs(Profile.FULL, "", List.of())) {
      Iterations a = j.plan().settings();
      Iterations s = j.settings();
      assertEquals(Math.max(2, a.forks()), s.forks());
      assertEquals(Math.max(2, a.warmupIterations()), s.warmupIterations());
      assertEquals(Math.max(5, a.iterations()), s.iterations());
      assertEquals(a.iterationTime(), s.iterationTime());
    }
  }

  @Test
  void smokeRunsOneStrategyOnCaffeinePerScenarioAndStaysShort() {
    List<Job> smoke = BenchmarkRunner.jobs(Profile.SMOKE, "", List.of());
    assertEquals(Set.of("HotKeyBenchmark", "SpreadKeysBenchmark", "MassExpiryBenchmark", "FailingDatabaseBenchmark",
        "HitPathBenchmark", "ContentionBenchmark"),
        smoke.stream().map(j -> j.plan().bench().simpleName).collect(Collectors.toSet()));
    for (Job j : smoke) {
      assertEquals(StoreType.CAFFEINE, j.store());
      assertEquals(List.of(StrategyType.SINGLE_FLIGHT), j.strategies());
      assertEquals(1, j.combinations());
    }
    double seconds = smoke.stream().mapToDouble(Job::seconds).sum();
    assertTrue(seconds < 60, "smoke estimate " + seconds + " s");
  }

  @Test
  void quickStaysWithinItsBudget() {
    double seconds = BenchmarkRunner.jobs(Profile.QUICK, "", List.of()).stream().mapToDouble(Job::seconds).sum();
    assertTrue(seconds < 8 * 60, "quick estimate " + seconds + " s: the open-loop scenarios need the rest of 20 min");
  }

  @Test
  void theClosedLoopStampedeBenchmarksRunInFullAndSmokeOnlyTheScenariosAnswerThemInQuick() {
    Set<Bench> retired = Set.of(Bench.HOT_KEY, Bench.MASS_EXPIRY, Bench.FAILING_DATABASE);
    assertTrue(BenchmarkRunner.jobs(Profile.QUICK, "", List.of()).stream()
        .noneMatch(j -> retired.contains(j.plan().bench())));
    for (Profile p : List.of(Profile.FULL, Profile.SMOKE)) {
      Set<Bench> ran = BenchmarkRunner.jobs(p, "", List.of()).stream().map(j -> j.plan().bench())
          .collect(Collectors.toSet());
      assertTrue(ran.containsAll(retired), p + " still runs them: " + ran);
    }
  }

  @ParameterizedTest
  @EnumSource(Profile.class)
  void jobsRunOnlyWhereTheirStrategiesDoAndIncludeExactlyTheirMethods(Profile profile) {
    for (Job j : BenchmarkRunner.jobs(profile, "", List.of())) {
      j.strategies().forEach(s -> assertTrue(s.runsOn(j.store()), s + " on " + j.store()));
      Options o = BenchmarkRunner.options(j).build();
      assertEquals(1, o.getIncludes().size());
      Pattern include = Pattern.compile(o.getIncludes().get(0));
      for (BenchmarkListEntry e : BenchmarkRunner.benchmarkList()) {
        boolean planned = e.getUserClassQName().equals(j.plan().bench().className)
            && j.plan().methods().contains(BenchmarkRunner.methodName(e));
        assertEquals(planned, include.matcher(e.getUsername()).find(), include + " / " + e.getUsername());
      }
    }
  }

  @Test
  void subsetsFilterByNameAndStrategy() {
    List<Job> jobs = BenchmarkRunner.jobs(Profile.QUICK, "SpreadKeys", List.of(StrategyType.CAFFEINE_ASYNC_GET));
    assertEquals(1, jobs.size(), "the peer has no Redis job");
    assertEquals(StoreType.CAFFEINE, jobs.get(0).store());
    assertEquals(List.of(), BenchmarkRunner.jobs(Profile.QUICK, "NoSuchBenchmark", List.of()));
    assertThrows(IllegalArgumentException.class, () -> Profile.of("medium"));
    assertEquals(Profile.SMOKE, Profile.of(" Smoke "));
  }

  @Test
  void theSettingsChooseTheJobs() {
    Properties p = new Properties();
    p.setProperty("bench.profile", "smoke");
    p.setProperty("bench.only", "HitPath");
    p.setProperty("bench.strategies", "SINGLE_FLIGHT");
    List<Job> jobs = BenchmarkRunner.jobs(BenchSettings.from(p));
    assertEquals(List.of("HitPathBenchmark.strategyGet"), jobs.stream().map(j -> j.plan().name()).toList());
    p.setProperty("bench.strategies", "CACHE_ASIDE");
    assertEquals(List.of(), BenchmarkRunner.jobs(BenchSettings.from(p)), "smoke runs SINGLE_FLIGHT only");
  }

  static BenchmarkListEntry entry(String name) {
    return BenchmarkRunner.benchmarkList().stream().filter(e -> e.getUsername().endsWith("." + name)).findFirst()
        .orElseThrow();
  }
}
