package stampede.scenarios;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Nullable;
import stampede.fixtures.Database;
import stampede.fixtures.Env;

/**
 * The database's and the strategies' counts over one measured window, from {@link #start()} to {@link #stop()}
 * (or now, before it stops), and the database's peak of concurrent loads in it. The database is the referee: its
 * {@link Database#loads()} are the loads the strategies caused, its episodes the expiries they answered ("loads per
 * expiry" = loads / episodes). Events are summed over the counters of every env (node) given.
 */
final class Meter {
  private final Database db;
  private final List<Counters> counters;
  private volatile @Nullable Snapshot start;
  private volatile @Nullable Snapshot stop;

  private record Snapshot(long loads, long episodes, long failures, Map<Event, Long> events, int peakLoads) { }

  Meter(Database db, List<Counters> counters) {
    this.db = db;
    this.counters = counters;
  }

  /** A meter over one env's database and counters, started now. */
  static Meter startedOn(Env env) {
    Meter m = new Meter(env.db, List.of(env.counters));
    m.start();
    return m;
  }

  /** Opens the window (and restarts the database's peak tracking). */
  Meter start() {
    db.resetPeak();
    start = snapshot();
    return this;
  }

  /** Closes the window. */
  Meter stop() {
    if (start == null) {
      start();
    }
    stop = snapshot();
    return this;
  }

  private Snapshot snapshot() {
    Map<Event, Long> events = new EnumMap<>(Event.class);
    for (Event e : Event.values()) {
      long sum = 0;
      for (Counters c : counters) {
        sum += c.get(e);
      }
      events.put(e, sum);
    }
    return new Snapshot(db.loads(), db.episodes(), db.failures(), events, db.peakConcurrentLoads());
  }

  private Snapshot end() {
    return stop != null ? stop : snapshot();
  }

  private Snapshot begin() {
    if (start == null) {
      throw new IllegalStateException("the window never opened");
    }
    return start;
  }

  long loads() {
    return end().loads - begin().loads;
  }

  long episodes() {
    return end().episodes - begin().episodes;
  }

  long dbFailures() {
    return end().failures - begin().failures;
  }

  int peakLoads() {
    return end().peakLoads;
  }

  long events(Event e) {
    return end().events.getOrDefault(e, 0L) - begin().events.getOrDefault(e, 0L); // every event is in both
  }

  /** Loads per expiry episode; NaN with no episode. */
  double loadsPerExpiry() {
    long e = episodes();
    return e == 0 ? Double.NaN : (double) loads() / e;
  }
}
