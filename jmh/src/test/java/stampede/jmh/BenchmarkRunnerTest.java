package stampede.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.runner.options.Options;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.jmh.BenchmarkRunner.Job;
import stampede.jmh.BenchmarkRunner.Profile;
import stampede.jmh.BenchmarkRunner.Settings;

/** The runner reads each benchmark's settings from its annotations and changes them only by its profile's rule. */
class BenchmarkRunnerTest {
  static final List<Class<?>> BENCHMARKS = List.of(HotKeyBenchmark.class, SpreadKeysBenchmark.class,
      MassExpiryBenchmark.class, FailingDatabaseBenchmark.class, HitPathBenchmark.class, ContentionBenchmark.class);

  @Test
  void everyBenchmarkMethodDeclaresItsRunSettings() {
    for (Class<?> c : BENCHMARKS) {
      for (Method m : c.getMethods()) {
        if (m.isAnnotationPresent(Benchmark.class)) {
          Settings s = Settings.of(m); // throws if an annotation or a value is missing
          assertTrue(s.forks() >= 1 && s.iterations() >= 1, m.toString());
        }
      }
    }
  }

  @Test
  void quickRunsTheAnnotationsAsWritten() {
    Settings hot = Settings.of(method(HotKeyBenchmark.class, "get"));
    assertEquals(new Settings(1, 1, Duration.ofSeconds(1), 2, Duration.ofSeconds(1)), hot);
    for (Job j : BenchmarkRunner.jobs(Profile.QUICK, "", List.of())) {
      assertEquals(j.plan().settings(), j.settings(), j.plan().name());
    }
  }

  @Test
  void theHitPathHasAnErrorIntervalAndItsBytesPerCallAndStaysWithinItsShare() {
    for (Class<?> c : List.of(HitPathBenchmark.class, ContentionBenchmark.class)) {
      for (Method m : c.getMethods()) {
        if (m.isAnnotationPresent(Benchmark.class)) {
          assertTrue(Settings.of(m).iterations() >= 5, m + ": enough iterations for an error interval");
        }
      }
    }
    List<Job> hitPath = BenchmarkRunner.jobs(Profile.QUICK, "HitPath|Contention", List.of());
    assertTrue(hitPath.stream().allMatch(j -> j.plan().gcProfile()), "-prof gc on every hit-path run");
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
      assertEquals(new Settings(1, 0, j.plan().settings().warmupTime(), 1, Duration.ofSeconds(1)), j.settings());
    }
    for (Job j : BenchmarkRunner.jobs(Profile.FULL, "", List.of())) {
      Settings a = j.plan().settings();
      Settings s = j.settings();
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
        smoke.stream().map(j -> j.plan().benchmark().getSimpleName()).collect(Collectors.toSet()));
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
    Set<Class<?>> retired = Set.of(HotKeyBenchmark.class, MassExpiryBenchmark.class, FailingDatabaseBenchmark.class);
    assertTrue(BenchmarkRunner.jobs(Profile.QUICK, "", List.of()).stream()
        .noneMatch(j -> retired.contains(j.plan().benchmark())));
    for (Profile p : List.of(Profile.FULL, Profile.SMOKE)) {
      Set<Class<?>> ran = BenchmarkRunner.jobs(p, "", List.of()).stream().map(j -> j.plan().benchmark())
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
      for (Class<?> c : BENCHMARKS) {
        for (Method m : c.getMethods()) {
          if (m.isAnnotationPresent(Benchmark.class)) {
            boolean planned = c == j.plan().benchmark() && j.plan().methods().contains(m);
            assertEquals(planned, include.matcher(c.getName() + "." + m.getName()).find(), include + " / " + m);
          }
        }
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

  static Method method(Class<?> c, String name) {
    return Arrays.stream(c.getMethods()).filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
  }
}
