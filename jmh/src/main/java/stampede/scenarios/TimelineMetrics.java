package stampede.scenarios;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import stampede.core.Event;
import stampede.core.Metrics;

/**
 * A {@link Metrics} that buckets chosen strategy {@link Event}s in time ({@link Timeline}s): the stale answers,
 * store errors, hits per 100 ms of a scenario. It is handed to the env
 * ({@code Env.builder(...).metrics(timeline)}), which sends every event to its {@code Counters} and here; a
 * Micrometer binding would be added the same way, in the same line.
 */
// EnumOrdinal: the timelines in an array indexed by ordinal (sized from Event.values()), looked up on every event
@SuppressWarnings("EnumOrdinal")
public final class TimelineMetrics implements Metrics {
  private final Map<Event, Timeline> series = new EnumMap<>(Event.class);
  private final Timeline[] byOrdinal = new Timeline[Event.values().length];

  /** Buckets of {@code bucket} over {@code span} for each of {@code events}. */
  public TimelineMetrics(Duration bucket, Duration span, Event... events) {
    for (Event e : events) {
      Timeline t = new Timeline(bucket, span);
      series.put(e, t);
      byOrdinal[e.ordinal()] = t;
    }
  }

  @Override
  public void record(Event event, Object key) {
    Timeline t = byOrdinal[event.ordinal()];
    if (t != null) {
      t.record(System.nanoTime());
    }
  }

  /** Starts every series at {@code originNanos}. */
  public void start(long originNanos) {
    series.values().forEach(t -> t.start(originNanos));
  }

  /** The series of {@code event}; it must be one of those asked for. */
  public Timeline of(Event event) {
    Timeline t = series.get(event);
    if (t == null) {
      throw new IllegalArgumentException("no time series kept for " + event);
    }
    return t;
  }
}
