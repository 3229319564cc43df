package stampede.scenarios;

import java.util.Locale;

/**
 * How big the scenarios run, the same three names as the JMH profiles ({@code -Dbench.profile}): {@code smoke}
 * proves every scenario runs and writes its table and chart (a few seconds each, under {@code jmh/target}), CI runs
 * it; {@code quick} is the published run (every scenario at the size the issue asks for, within the bench command's
 * 20-minute budget on 2 cores); {@code full} runs more strategies, longer and repeated. Each scenario states its
 * sizes per profile in its own class.
 */
public enum Profile {
  SMOKE, QUICK, FULL;

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
}
