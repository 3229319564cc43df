package stampede.core;

/**
 * Receives strategy events. Implementations must be thread-safe and cheap: they are called on the hit path.
 * {@link Counters} counts them.
 */
@FunctionalInterface
public interface Metrics {

  void record(Event event, Object key);

  /**
   * An event with a duration: {@link Event#LOAD_SUCCEEDED} and {@link Event#LOAD_FAILED} carry how long the load
   * took. By default the duration is dropped and the event recorded.
   */
  default void record(Event event, Object key, long nanos) {
    record(event, key);
  }

  /** Discards everything. */
  static Metrics none() {
    return (event, key) -> { };
  }

  /** Sends every event to both. */
  default Metrics and(Metrics other) {
    Metrics self = this;
    return new Metrics() {
      @Override
      public void record(Event event, Object key) {
        self.record(event, key);
        other.record(event, key);
      }

      @Override
      public void record(Event event, Object key, long nanos) {
        self.record(event, key, nanos);
        other.record(event, key, nanos);
      }
    };
  }
}
