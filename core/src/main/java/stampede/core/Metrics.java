package stampede.core;

/**
 * Receives strategy events. Implementations must be thread-safe and cheap: they are called on the hit path.
 * {@link Counters} counts them.
 */
@FunctionalInterface
public interface Metrics {

  void record(Event event, Object key);

  /** Discards everything. */
  static Metrics none() {
    return (event, key) -> { };
  }

  /** Sends every event to both. */
  default Metrics and(Metrics other) {
    return (event, key) -> {
      record(event, key);
      other.record(event, key);
    };
  }
}
