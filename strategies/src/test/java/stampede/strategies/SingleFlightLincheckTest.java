package stampede.strategies;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link SingleFlight}'s in-flight map, under {@link CacheAside}: every interleaving of two callers of
 * three calls each must be explained by the callers running one at a time ({@link Spec}), and at no point do two loads of one
 * key run at once.
 *
 * <p>The contract, as {@link Spec} states it: a read of a cached key returns the cached value; a read of key 0 or 1
 * that finds nothing loads it once ({@code k0#1}: a second load of a key would be {@code #2}) and caches it; key 2's
 * database fails, and every caller of it gets the error ({@code error}); a caller whose own loader is interrupted
 * ({@link #getInterrupted}) gets an {@link InterruptedLoadException} with its interrupt status set
 * ({@code interrupted}) and costs its waiters nothing but a retry: they load, or fail, as if it had never come.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:2")
@Param(name = "loadable", gen = IntGen.class, conf = "0:1")
public class SingleFlightLincheckTest {
  private static final int FAILING_KEY = 2;

  private final ManualTicker ticker = new ManualTicker(); // never moves: no load is presumed hung
  private final MapStore<Integer, String> store = new MapStore<>(ticker);
  private final SingleFlight<Integer, String> flight = SingleFlight.builder(store,
      new StoreFill<>(store, Metrics.none(), Ttl.fixed(Duration.ofMinutes(1)))).ticker(ticker)
      .maxWait(Duration.ofHours(1)).build();
  private final CacheAside<Integer, String> path = CacheAside.builder(store, flight).build();
  private final AtomicIntegerArray running = new AtomicIntegerArray(3);
  private final AtomicIntegerArray loads = new AtomicIntegerArray(3);
  private final AtomicInteger overlaps = new AtomicInteger();

  /** Reads {@code key}: its value, or {@code error} when its database fails. */
  @Operation
  public String get(@Param(name = "key") int key) {
    return read(key, k -> {
      enter(k);
      try {
        if (k == FAILING_KEY) {
          throw new IOException("database down");
        }
        return "k" + k + "#" + loads.incrementAndGet(k);
      } finally {
        running.decrementAndGet(k);
      }
    });
  }

  /**
   * Reads {@code key} (0 or 1) with a loader that is interrupted: {@code interrupted} unless it finds a value or joins
   * a load in flight. (Key 2 is left out: a caller that joins its failing load gets that load's error, which no
   * sequential order explains for a caller whose own loader would have been interrupted.)
   */
  @Operation
  public String getInterrupted(@Param(name = "loadable") int key) {
    return read(key, k -> {
      enter(k);
      try {
        throw new InterruptedException("cancelled inside the loader");
      } finally {
        running.decrementAndGet(k);
      }
    });
  }

  private String read(int key, Loader<Integer, String> loader) {
    try {
      return path.get(key, loader);
    } catch (InterruptedLoadException e) {
      return Thread.interrupted() ? "interrupted" : "interrupted, status lost";
    } catch (LoadException e) {
      return Thread.interrupted() ? "error, status set" : "error";
    }
  }

  private void enter(int key) {
    if (running.incrementAndGet(key) > 1) {
      overlaps.incrementAndGet();
    }
  }

  /** At no point two loads of one key at once; no flight left behind. */
  @Validate
  public void oneLoadPerKeyAtATime() {
    if (overlaps.get() > 0) {
      throw new AssertionError(overlaps.get() + " loads started while another load of the same key ran");
    }
    if (flight.inFlight() != 0) {
      throw new AssertionError(flight.inFlight() + " flights left in the map");
    }
  }

  /** The contract: callers one at a time. */
  public static class Spec {
    private final Map<Integer, String> cached = new HashMap<>();
    private final int[] loads = new int[3];

    public String get(int key) {
      String value = cached.get(key);
      if (value != null) {
        return value;
      }
      if (key == FAILING_KEY) {
        return "error";
      }
      value = "k" + key + "#" + ++loads[key];
      cached.put(key, value);
      return value;
    }

    public String getInterrupted(int key) {
      String value = cached.get(key);
      return value != null ? value : "interrupted";
    }
  }

  @Test
  void modelChecking() {
    LincheckBudget.modelChecking(1).sequentialSpecification(Spec.class)
        .threads(2).actorsPerThread(3).actorsBefore(0).actorsAfter(1).check(SingleFlightLincheckTest.class);
  }
}
