package stampede.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.ThreadParams;
import stampede.core.Event;
import stampede.core.Nullable;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;

/**
 * What happened during an iteration, as JMH secondary results ({@code @AuxCounters(EVENTS)}: summed over
 * threads, and over iterations in the "score"; per iteration in "rawData").
 *
 * <p>Every thread counts its own {@link #calls} and {@link #errors} (a caller got an exception: load failed,
 * rejected, gave up waiting). The global quantities ({@link #loads}, {@link #episodes}, {@link #staleServed},
 * {@link #peakLoads}, {@link #dbFailures}) are read from the {@link Database} and the strategy's counters by
 * one designated thread (thread index 0) as deltas since its first call in the iteration; the other threads
 * report 0 for them, so the sum over threads is the global value.
 *
 * <p>AuxCounters also count during JMH's ramp-up and ramp-down of an iteration, so absolute numbers are
 * approximate: read them as ratios (loads / episodes = loader calls per expiry; errors / calls), which is what
 * {@link stampede.jmh.report.ResultsReport} prints. {@link #peakLoads} is a maximum, not a sum: the report takes
 * the maximum over iterations from rawData.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Outcome {
  public long calls;
  public long errors;
  public long loads;
  public long episodes;
  public long staleServed;
  public long peakLoads;
  public long dbFailures;

  private boolean designated;
  private boolean started;
  private long loads0;
  private long episodes0;
  private long stale0;
  private long failures0;

  @Setup(Level.Iteration)
  public void reset(ThreadParams threads) {
    calls = errors = loads = episodes = staleServed = peakLoads = dbFailures = 0;
    designated = threads.getThreadIndex() == 0;
    started = false;
  }

  /** Calls {@code cache.get(key)}, counting the call and any error; returns the value or null. */
  @Nullable String call(BenchCache cache, String key, Env env) {
    String value = null;
    try {
      value = cache.get(key);
    } catch (RuntimeException e) {
      errors++;
    }
    calls++;
    if (designated) {
      observe(env);
    }
    return value;
  }

  private void observe(Env env) {
    Database db = env.db;
    if (!started) {
      started = true;
      loads0 = db.loads();
      episodes0 = db.episodes();
      stale0 = env.counters.get(Event.STALE_SERVED);
      failures0 = db.failures();
      db.resetPeak();
    }
    loads = db.loads() - loads0;
    episodes = db.episodes() - episodes0;
    staleServed = env.counters.get(Event.STALE_SERVED) - stale0;
    dbFailures = db.failures() - failures0;
    peakLoads = db.peakConcurrentLoads();
  }
}
