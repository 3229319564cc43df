package stampede.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counts {@link Event}s; thread-safe and contention-friendly ({@link LongAdder}). */
// EnumOrdinal: one counter per event in an array indexed by ordinal, as EnumMap does inside, but with no nullable
// map lookup on the path of every event; the array is sized from Event.values(), so a new event cannot overflow it.
@SuppressWarnings("EnumOrdinal")
public final class Counters implements Metrics {
  private final LongAdder[] counts = new LongAdder[Event.values().length];

  public Counters() {
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  @Override
  public void record(Event event, Object key) {
    counts[event.ordinal()].increment();
  }

  public long get(Event event) {
    return counts[event.ordinal()].sum();
  }

  /** Hits / (hits + misses), or NaN before any request. */
  public double hitRatio() {
    long hits = get(Event.HIT);
    long total = hits + get(Event.MISS);
    return total == 0 ? Double.NaN : (double) hits / total;
  }

  public Map<Event, Long> snapshot() {
    Map<Event, Long> map = new EnumMap<>(Event.class);
    for (Event e : Event.values()) {
      map.put(e, get(e));
    }
    return map;
  }

  public void reset() {
    for (LongAdder a : counts) {
      a.reset();
    }
  }

  @Override
  public String toString() {
    return "Counters" + snapshot();
  }
}
