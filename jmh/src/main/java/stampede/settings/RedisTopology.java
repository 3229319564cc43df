package stampede.settings;

import java.util.Locale;

/** {@code -Dscenario.redis}: where the N-nodes scenario runs; default both, one after the other. */
public enum RedisTopology {
  STANDALONE, CLUSTER, BOTH;

  /** The topology named {@code name}, any case; blank is {@code both}. */
  public static RedisTopology of(String name) {
    try {
      return valueOf(name == null || name.isBlank() ? "BOTH" : name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("scenario.redis must be standalone, cluster or both: " + name, e);
    }
  }
}
