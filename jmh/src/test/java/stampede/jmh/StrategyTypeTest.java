package stampede.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Event;
import stampede.core.LoadException;

/**
 * Every StrategyType builds on every store it supports and answers a get (a miss, then a hit), reporting its loads
 * to the env's counters; a failed load reaches the caller as a LoadException whose cause is the database's error.
 */
class StrategyTypeTest {
  static Env caffeine;
  static Env redis;

  @BeforeAll
  static void open() {
    caffeine = new Env(StoreType.CAFFEINE, new Database(MS, MS, 1000 * MS), Duration.ofSeconds(30));
    redis = new Env(StoreType.REDIS, new Database(MS, MS, 1000 * MS), Duration.ofSeconds(30));
  }

  static final long MS = 1_000_000L;

  @AfterAll
  static void close() {
    caffeine.close();
    redis.close();
  }

  @ParameterizedTest
  @EnumSource(StrategyType.class)
  void answersOnCaffeine(StrategyType type) {
    check(type, caffeine);
  }

  @ParameterizedTest
  @EnumSource(StrategyType.class)
  void answersOnRedisOrIsNotApplicable(StrategyType type) {
    if (type.runsOn(StoreType.REDIS)) {
      check(type, redis);
    } else {
      assertThrows(IllegalArgumentException.class, () -> type.create(redis));
    }
  }

  private static void check(StrategyType type, Env env) {
    BenchCache cache = type.create(env);
    String key = type + "-key";
    long loads = env.db.loads();
    long counted = env.counters.get(Event.LOAD_STARTED);
    String first = cache.get(key);
    assertTrue(first.startsWith(key + "@"), first);
    assertEquals(loads + 1, env.db.loads(), "a miss loads once");
    assertEquals(counted + 1, env.counters.get(Event.LOAD_STARTED), "and reports it to the env's counters");
    assertEquals(first, cache.get(key), "then it is a hit");
    assertEquals(loads + 1, env.db.loads());
    cache.invalidate(key);
    assertFalse(cache.get(key).equals(first), "invalidate drops the entry");
  }

  @Test
  void aFailedLoadIsALoadExceptionCarryingTheDatabasesError() {
    Env env = new Env(StoreType.CAFFEINE, new Database(0, 0, MS), Duration.ofSeconds(30));
    try {
      env.db.failures(Database.FailureMode.FAIL, TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60), 1);
      for (StrategyType type : StrategyType.values()) {
        BenchCache cache = type.create(env);
        LoadException e = assertThrows(LoadException.class, () -> cache.get(type + "-failing"), type.name());
        assertInstanceOf(Database.DatabaseDownException.class, e.getCause(), type.name());
      }
    } finally {
      env.close();
    }
  }

  @Test
  void onlyThePeersAreCaffeineOnly() {
    List<StrategyType> caffeineOnly = Arrays.stream(StrategyType.values())
        .filter(t -> !t.runsOn(StoreType.REDIS)).toList();
    assertEquals(List.of(StrategyType.CAFFEINE_ASYNC_GET, StrategyType.CAFFEINE_REFRESH_AFTER_WRITE), caffeineOnly);
  }
}
