package stampede.jmh;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/** A key space of {@code n} keys drawn uniformly or by a Zipf law (exponent 1: a few keys take most reads). */
public final class Keys {
  private final String[] keys;
  private final double[] cdf;

  public Keys(String prefix, int n, String distribution) {
    if (n < 1) {
      throw new IllegalArgumentException("n < 1");
    }
    keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = prefix + i;
    }
    switch (distribution) {
      case "UNIFORM" -> cdf = null;
      case "ZIPF" -> {
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
          sum += 1.0 / (i + 1);
          cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
          cdf[i] /= sum;
        }
      }
      default -> throw new IllegalArgumentException("distribution UNIFORM or ZIPF: " + distribution);
    }
  }

  public String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    if (cdf == null) {
      return keys[r.nextInt(keys.length)];
    }
    int i = Arrays.binarySearch(cdf, r.nextDouble());
    return keys[Math.min(keys.length - 1, i >= 0 ? i : -i - 1)];
  }

  public String[] all() {
    return keys.clone();
  }
}
