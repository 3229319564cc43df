package stampede.settings;

import java.util.Locale;

/**
 * How big a run is, for both halves of the bench command ({@code -Dbench.profile}): {@code smoke} proves every JMH
 * benchmark and scenario runs and writes its table and chart (a few seconds each, under {@code jmh/target}), CI runs
 * it; {@code quick} is the published run (every scenario at the size the issue asks for, within the bench command's
 * 20-minute budget on 2 cores); {@code full} runs more strategies, longer and repeated. The JMH runner turns a
 * profile into forks and iterations; each scenario states its sizes per profile in its own class ({@link #pick}).
 */
public enum Profile {
  SMOKE, QUICK, FULL;

  /** The profile named {@code name}, any case; blank is {@code quick}. */
  public static Profile of(String name) {
    String n = name == null || name.isBlank() ? "quick" : name.trim();
    try {
      return valueOf(n.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bench.profile must be smoke, quick or full: " + name, e);
    }
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code smoke}, {@code quick} or {@code full} value, by this profile. */
  public <T> T pick(T smoke, T quick, T full) {
    return switch (this) {
      case SMOKE -> smoke;
      case QUICK -> quick;
      case FULL -> full;
    };
  }

  /** True if this profile runs at least what {@code other} runs (smoke, then quick, then full). */
  public boolean atLeast(Profile other) {
    return compareTo(other) >= 0;
  }
}
