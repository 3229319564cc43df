package stampede.scenarios;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.micrometer.MicrometerMetrics;
import stampede.settings.BenchSettings;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;

/**
 * What every scenario runs with: the run's {@link BenchSettings} (the profile, the strategies kept by
 * {@code -Dbench.strategies}, the Redis topology of {@code -Dscenario.redis}), the shared {@link CallerPool} and
 * clock, and the run's log.
 */
public final class Context {
  final BenchSettings settings;
  @Nullable CallerPool callers;
  final OpenLoop.Clock clock;
  private MeterRegistry meters = new SimpleMeterRegistry();

  Context(BenchSettings settings, @Nullable CallerPool callers, OpenLoop.Clock clock) {
    this.settings = settings;
    this.callers = callers;
    this.clock = clock;
  }

  public Profile profile() {
    return settings.profile();
  }

  public BenchSettings settings() {
    return settings;
  }

  /** {@code -Dscenario.redis}: where the N-nodes scenario runs. */
  public RedisTopology redis() {
    return settings.redis();
  }

  public CallerPool callers() {
    return Objects.requireNonNull(callers, "no caller pool yet: resize() makes one");
  }

  /** Makes the caller pool {@code size} threads (a new pool if it is not), and reports how long starting took. */
  double resize(int size) {
    if (callers != null && callers.size() == size) {
      return 0;
    }
    long t0 = System.nanoTime();
    if (callers != null) {
      callers.close();
    }
    callers = new CallerPool(size);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Stops the caller pool. */
  void close() {
    if (callers != null) {
      callers.close();
    }
  }

  public OpenLoop loop() {
    return new OpenLoop(clock, callers());
  }

  public long now() {
    return clock.nanoTime();
  }

  /**
   * The rows of {@code scenario} on {@code store}: the contenders whose roster names it at this run's profile
   * ({@link Contender#suiting}), those {@code -Dbench.strategies} keeps.
   */
  public List<Contender> contenders(String scenario, StoreType store) {
    return keep(Contender.suiting(scenario, store, profile()));
  }

  /** The contenders {@code -Dbench.strategies} keeps (all if it names none). */
  public List<Contender> keep(List<Contender> contenders) {
    return contenders.stream().filter(c -> settings.keeps(c.name())).toList();
  }

  /**
   * Where {@code cache}'s strategy events go besides the scenario's own counters: the production binding,
   * {@code stampede-micrometer}'s {@link MicrometerMetrics} (tag {@code cache=<cache>}), into this scenario's
   * registry, whose totals {@code scenarios.json} publishes under the same meter names a dashboard shows.
   */
  public Metrics meters(String cache) {
    return MicrometerMetrics.builder(meters, cache).build();
  }

  /** Starts a new registry for the next scenario; returns the last one. */
  MeterRegistry newMeters() {
    MeterRegistry last = meters;
    meters = new SimpleMeterRegistry();
    return last;
  }

  /**
   * Every counter and timer of {@code registry} with a non-zero count, as {@code name{tag=value,...}} to its count
   * (a timer's count of events), sorted by name: the scenario's totals as a dashboard would show them.
   */
  static Map<String, Long> totals(MeterRegistry registry) {
    Map<String, Long> totals = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      long count = m instanceof Counter c ? Math.round(c.count()) : m instanceof Timer t ? t.count() : 0;
      if (count > 0) {
        String tags = m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue())
            .collect(Collectors.joining(","));
        totals.merge(m.getId().getName() + "{" + tags + "}", count, Long::sum);
      }
    }
    return totals;
  }

  /** Prints a progress line: {@code [scenarios] ...}. */
  public void log(String format, Object... args) {
    System.out.printf(Locale.ROOT, "[scenarios] " + format + "%n", args);
  }

  /** Waits until {@code deadline} ({@link #now()} time). */
  public void sleepUntil(long deadline) {
    clock.sleepUntil(deadline);
  }

  /** Closes an env and forgets the database's per-key episode starts. */
  static void close(Env env) {
    if (env != null) {
      env.close();
    }
  }

  /** A database with one fixed load time, episodes separated by half a TTL (see {@link Database}). */
  static Database database(long loadMillis, long ttlMillis) {
    return new Database(loadMillis * 1_000_000L, loadMillis * 1_000_000L, ttlMillis * 1_000_000L / 2);
  }
}
