package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import stampede.core.LoadException;
import stampede.core.RejectedException;
import stampede.core.StoreException;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;

/** An error's kind is its class and a reason that does not name the key, so one fault on many keys is one kind. */
class ErrorKindsTest {

  @Test
  void aRefusalIsItsReasonALoadFailureItsCauseWithoutTheKey() {
    assertEquals("RejectedException: too many requests",
        ErrorKinds.kind(new RejectedException("k1", "too many requests")));
    assertEquals("LoadException: loader returned null", ErrorKinds.kind(new LoadException("k1", "loader returned null",
        null)));
    assertEquals("LoadException: gave up waiting for the load in flight after PT5S", ErrorKinds.kind(
        new LoadException("key 7", "gave up waiting for the load in flight after PT5S", null)));
    assertEquals("LoadException: IllegalStateException: no row for", ErrorKinds.kind(new LoadException("k1",
        new IllegalStateException("no row for 'k1'"))));
    assertEquals("StoreException: connection refused", ErrorKinds.kind(new StoreException("connection refused",
        null)));
    assertEquals("NullPointerException: null", ErrorKinds.kind(new NullPointerException()));
  }

  @Test
  void theDatabasesFailuresOnManyKeysAreOneKindCountedTogether() {
    ErrorKinds kinds = new ErrorKinds();
    Database db = new Database(0, 0, 1_000_000L);
    db.failures(Database.FailureMode.FAIL, Duration.ofSeconds(60).toNanos(), Duration.ofSeconds(60).toNanos(), 1);
    try (Env env = new Env(StoreType.CAFFEINE, db, Duration.ofSeconds(30))) {
      BenchCache cache = Contender.of(StrategyType.CACHE_ASIDE).create(env);
      for (String key : List.of("a", "b", "k-42")) {
        try {
          cache.get(key);
        } catch (RuntimeException e) {
          kinds.record(e);
        }
      }
    }
    kinds.record(new RejectedException("x", "load shed"));
    assertEquals(Map.of("LoadException: DatabaseDownException: database down while loading", 3L,
        "RejectedException: load shed", 1L), kinds.counts());
    assertEquals(List.of("LoadException: DatabaseDownException: database down while loading",
        "RejectedException: load shed"), List.copyOf(kinds.counts().keySet()), "the most frequent first");
  }

  @Test
  void aProbeCountsKindsOfAllAndOfMeasuredRequests() {
    Probe p = new Probe().measureFrom(100);
    p.completed(0, 50, 50, 60, new RejectedException("a", "load shed"));
    p.completed(1, 150, 150, 160, new RejectedException("b", "load shed"));
    p.completed(2, 160, 160, 170, null);
    assertEquals(Map.of("RejectedException: load shed", 2L), p.errorKinds());
    assertEquals(Map.of("RejectedException: load shed", 1L), p.measuredErrorKinds(), "the warm-up's left out");
  }
}
