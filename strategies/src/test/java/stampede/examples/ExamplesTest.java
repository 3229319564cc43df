package stampede.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;
import stampede.testkit.Callers;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.SharedRedis;

/**
 * Runs the examples the docs show (each doc block is a region of one of them, see {@code DocSnippetsTest}): each
 * builds what its snippet builds, and then many callers ask for one key that is not cached yet. They must cost one
 * load, in process and across nodes on a real embedded Redis.
 */
class ExamplesTest {

  @AfterEach
  void clearProperties() {
    System.clearProperty("redis.uri");
    System.clearProperty("redis.cluster");
  }

  @Test
  void singleFlightInProcess_50CallersOneLoad() throws Exception {
    try (Example example = InProcessExample.singleFlight()) {
      assertEquals(1, example.database().loads(), "the snippet's own get");
      assertOneLoad(50, List.of(example));
    }
  }

  @Test
  void priorityShedder_aCriticalLoadThenAHit() throws Exception {
    try (Example example = PriorityExample.build()) {
      ProductDatabase database = example.database();
      assertEquals(1, database.loads(), "the snippet's own CRITICAL get");
      assertEquals("checkout:sku-42", example.products().get("checkout:sku-42", database::load).sku());
      assertEquals(1, database.loads(), "the second get is a hit");
      example.products().get("page:sku-7", database::load); // DEFAULT, by the classifier
      assertEquals(2, database.loads());
    }
  }

  @Test
  void composedInProcess_50CallersOneLoad() throws Exception {
    try (Example example = InProcessExample.compose()) {
      assertEquals(1, example.database().loads(), "the snippet's own get");
      assertOneLoad(50, List.of(example));
    }
  }

  @Test
  void layeredStackOnRedis_twoNodes100CallersOneLoad() throws Exception {
    System.setProperty("redis.uri", SharedRedis.server().uri());
    try (Example a = RedisExample.node(); Example b = RedisExample.node()) {
      assertOneLoad(100, List.of(a, b));
    }
  }

  @Test
  void guardedRedis_whileRedisIsDown50CallersOneLoad() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      System.setProperty("redis.uri", redis.uri());
      GuardedRedisExample.Guarded guarded = GuardedRedisExample.node();
      try (Example example = guarded.example()) {
        assertEquals(1, example.database().loads(), "the snippet's own get");
        assertFalse(guarded.guard().isOpen());
        redis.stop();
        assertOneLoad(50, List.of(example));
        assertTrue(guarded.guard().isOpen(), "the guard opened while Redis was down");
      }
    }
  }

  @Test
  void metrics_everyCallIsAMeterAndTheAlertsAreGauges() throws Exception {
    MetricsExample.Monitored monitored = MetricsExample.monitored();
    try (Example example = monitored.example()) {
      assertOneLoad(50, List.of(example));
      MeterRegistry registry = monitored.registry();
      double gets = registry.find("cache.gets").counters().stream().mapToDouble(c -> c.count()).sum();
      double coalesced = registry.find("stampede.loads.coalesced").counters().stream().mapToDouble(c -> c.count()).sum();
      assertTrue(gets >= 50, "cache.gets counted " + gets);
      assertEquals(1, registry.find("cache.loads").timers().stream().mapToLong(t -> t.count()).sum());
      assertTrue(coalesced > 0 || gets > 50, "callers waited for the one load or hit after it: " + coalesced);
      assertEquals(3, registry.find("stampede.alert").gauges().size(), "the three alerts bound as gauges");
      assertFalse(monitored.monitoring().poolExhausted());
    }
  }

  @Test
  void layeredStackOnRedisCluster_twoNodes100CallersOneLoad() throws Exception {
    System.setProperty("redis.cluster", SharedRedis.cluster().uris().stream().map(Object::toString)
        .collect(Collectors.joining(",")));
    try (Example a = RedisClusterExample.node(); Example b = RedisClusterExample.node()) {
      assertOneLoad(100, List.of(a, b));
    }
  }

  @Test
  void redisForTests_startsARedisTheRedisExampleRunsOn() throws Exception {
    RedisServer server = RedisForTestsExample.start();
    try {
      assertTrue(server.isActive());
      try (Example example = RedisExample.node()) {
        assertEquals(1, example.database().loads(), "the snippet's own get, on the server just started");
        assertOneLoad(20, List.of(example));
      }
    } finally {
      server.stop();
    }
    assertFalse(server.isActive());
  }

  @Test
  void neverError_staleForKeysThatHadAValueAndTheBreakerStopsTheLoads() throws Exception {
    NeverErrorExample.Protected built = NeverErrorExample.build();
    try (Example example = built.example()) {
      ProductDatabase database = example.database();
      assertEquals(1, database.loads(), "the snippet's own get");
      Thread.sleep(2_100); // past the snippet's 2 s TTL
      database.fail(true);
      List<Object> results = Callers.run(50, () -> example.products().get("sku-42", database::load));
      for (Object result : results) {
        assertTrue(result instanceof Product p && p.sku().equals("sku-42"), "stale, not an error: " + result);
      }
      // single flight shares one failed load among the callers that arrive while it runs; later ones try again
      int failed = database.loads() - 1;
      assertTrue(failed >= 1 && failed <= 5, "failed loads for 50 callers (the breaker opens at 5): " + failed);
      // a key never cached has nothing to serve: its callers get the load's error until 5 failures in a row
      // (sku-42's included) open the breaker
      int errors = 0;
      for (int i = 0; i < 5 && built.breaker().state() != stampede.strategies.CircuitBreaker.State.OPEN; i++) {
        String key = "new-" + i;
        org.junit.jupiter.api.Assertions.assertThrows(stampede.core.LoadException.class,
            () -> example.products().get(key, database::load));
        errors++;
      }
      assertTrue(errors + Math.min(failed, 5) >= 5, "errors " + errors + " after " + failed + " failed loads");
      assertEquals(stampede.strategies.CircuitBreaker.State.OPEN, built.breaker().state());
      int loads = database.loads();
      for (int i = 0; i < 20; i++) { // open: refused at once, the database is not called
        String key = "newer-" + i;
        org.junit.jupiter.api.Assertions.assertThrows(stampede.core.RejectedException.class,
            () -> example.products().get(key, database::load));
      }
      assertEquals(loads, database.loads(), "no load tried while the circuit is open");
      assertTrue(example.products().get("sku-42", database::load) instanceof Product, "still stale, not an error");
    }
  }

  /** {@code callers} callers, spread over the nodes, ask at once for a key never cached: one load in all. */
  private static void assertOneLoad(int callers, List<Example> nodes) throws InterruptedException {
    String key = "sku-" + UUID.randomUUID();
    int before = nodes.stream().mapToInt(n -> n.database().loads()).sum();
    List<Object> results = Callers.race(callers, i -> 0, i -> {
      Example node = nodes.get(i % nodes.size());
      return node.products().get(key, node.database()::load);
    }, Duration.ofSeconds(30), callers + " callers on " + nodes.size() + " node(s)");
    for (Object result : results) {
      assertNotNull(result);
      assertTrue(result instanceof Product p && p.sku().equals(key), "a caller got " + result);
    }
    int loads = nodes.stream().mapToInt(n -> n.database().loads()).sum() - before;
    assertEquals(1, loads, callers + " callers on " + nodes.size() + " node(s): loads");
  }
}
