package stampede.core;

import java.time.Duration;

/** How long a freshly loaded value stays fresh. */
@FunctionalInterface
public interface Ttl<K> {

  long nanos(K key);

  static <K> Ttl<K> fixed(Duration ttl) {
    long nanos = ttl.toNanos();
    if (nanos <= 0) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    return key -> nanos;
  }
}
