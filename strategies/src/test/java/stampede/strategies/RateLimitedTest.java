package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The per-client rate limit on loads, under the read path, on Caffeine and a real Redis: a burst is allowed, then
 * loads are refused ({@link Event#RATE_LIMITED}) and nothing is cached; tokens refill over ticker time up to the
 * burst; clients are limited independently; hits are never limited; as a fill it passes the fence; a null loader
 * costs no token; only refilled buckets are pruned.
 */
class RateLimitedTest {
  private static final Duration TTL = Duration.ofMinutes(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicReference<String> client = new AtomicReference<>("alice");
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

  private RateLimited<String, String> limited(Fill<String, String> fill, int burst, double rate) {
    return RateLimited.builder(fill, client::get).metrics(counters).ticker(ticker).limit(burst, rate).build();
  }

  /** Burst 3, then one load per second. */
  private RateLimited<String, String> limited(CacheStore<String, String> store) {
    return limited(new StoreFill<>(store, counters, Ttl.fixed(TTL)), 3, 1.0);
  }

  private CacheAside<String, String> path(CacheStore<String, String> store, RateLimited<String, String> limited) {
    return CacheAside.builder(store, limited).metrics(counters).build();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aBurstIsAllowedThenLoadsAreRejectedAndNothingIsCached(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> limited = path(f.store, limited(f.store));
      for (int i = 0; i < 3; i++) {
        assertEquals("k" + i + "@v" + (i + 1), limited.get("k" + i, db));
      }
      RejectedException e = assertThrows(RejectedException.class, () -> limited.get("k3", db));
      assertEquals("too many requests", e.reason());
      assertEquals("k3", e.key());
      assertTrue(e.getMessage().contains("too many requests"), e.getMessage());
      assertEquals(3, loads.get(), "the rejected load did not run");
      assertNull(f.store.get("k3"), "nothing cached");
      assertEquals(1, counters.get(Event.RATE_LIMITED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void tokensRefillOverTickerTimeUpToTheBurst(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> limited = path(f.store, limited(f.store));
      for (int i = 0; i < 3; i++) {
        limited.get("a" + i, db);
      }
      ticker.advance(Duration.ofMillis(999));
      assertThrows(RejectedException.class, () -> limited.get("b", db), "not a whole token yet");
      ticker.advance(Duration.ofMillis(1));
      assertEquals("b@v4", limited.get("b", db), "one token after 1 s");
      assertThrows(RejectedException.class, () -> limited.get("c", db));
      ticker.advance(Duration.ofHours(1));
      for (int i = 0; i < 3; i++) {
        limited.get("d" + i, db);
      }
      assertThrows(RejectedException.class, () -> limited.get("e", db), "an idle hour refills only the burst");
    }
  }

  /**
   * The buckets run on a monotonic clock; if a clock handed in steps back anyway (a wall clock set back an hour, the
   * store's wall ticker passed by mistake), the refill restarts from the step instead of stopping until the clock
   * has caught up: before, 50 of 50 loads, one a second after a 1 h step back, were refused. A step forward refills
   * no more than the burst.
   */
  @Test
  void aClockSteppingBackOrForwardChangesTheLimitByTheBurstAtMost() {
    Fill<String, String> inner = (key, seen, fence, loader) -> key;
    RateLimited<String, String> limited = limited(inner, 3, 1.0);
    for (int i = 0; i < 3; i++) {
      limited.fill("a" + i, null, 0, db);
    }
    ticker.set(ticker.read() - Duration.ofHours(1).toNanos());
    int allowed = 0;
    for (int i = 0; i < 50; i++) {
      ticker.advance(Duration.ofSeconds(1));
      try {
        limited.fill("b" + i, null, 0, db);
        allowed++;
      } catch (RejectedException e) {
        assertEquals("too many requests", e.reason());
      }
    }
    // the refill restarts at the first reading after the step: the second in which the clock stepped is lost
    assertEquals(49, allowed, "one load a second after the step back, as before it");
    ticker.advance(Duration.ofDays(1));
    for (int i = 0; i < 3; i++) {
      limited.fill("c" + i, null, 0, db);
    }
    assertThrows(RejectedException.class, () -> limited.fill("d", null, 0, db), "a step forward: the burst only");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void clientsAreLimitedIndependently(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> limited = path(f.store, limited(f.store));
      for (int i = 0; i < 3; i++) {
        limited.get("a" + i, db);
      }
      assertThrows(RejectedException.class, () -> limited.get("a3", db));
      client.set("bob");
      for (int i = 0; i < 3; i++) {
        assertEquals("b" + i, limited.get("b" + i, key -> key));
      }
      assertThrows(RejectedException.class, () -> limited.get("b3", db));
      client.set(null);
      assertEquals("n0", limited.get("n0", key -> key), "no client: one shared anonymous bucket");
      assertEquals(2, counters.get(Event.RATE_LIMITED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hitsAreNeverLimited(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> limited =
          path(f.store, limited(new StoreFill<>(f.store, counters, Ttl.fixed(TTL)), 1, 0.001));
      assertEquals("k@v1", limited.get("k", db));
      for (int i = 0; i < 1000; i++) {
        assertEquals("k@v1", limited.get("k", db));
      }
      assertEquals(1000, counters.get(Event.HIT));
      assertThrows(RejectedException.class, () -> limited.get("other", db), "only loads are limited");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void asAFillItGuardsAnyLoadPathAndPassesTheFence(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RateLimited<String, String> limited = limited(f.store);
      for (int i = 0; i < 3; i++) {
        assertEquals("k@v" + (i + 1), limited.fill("k", null, 5 + i, db));
      }
      assertEquals(7, f.store.get("k").fence());
      assertThrows(RejectedException.class, () -> limited.fill("k", null, 8, db));
      assertEquals("k@v3", f.store.get("k").value());
      assertThrows(NullPointerException.class, () -> path(f.store, limited).get(null, db));
      StoreFill<String, String> fill = new StoreFill<>(f.store, counters, Ttl.fixed(TTL));
      assertThrows(IllegalArgumentException.class, () -> limited(fill, 0, 1.0));
      assertThrows(IllegalArgumentException.class, () -> limited(fill, 1, 0));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNullLoaderCostsNoToken(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RateLimited<String, String> limited = limited(new StoreFill<>(f.store, counters, Ttl.fixed(TTL)), 1, 0.001);
      assertThrows(NullPointerException.class, () -> limited.fill("k", null, 0, null));
      assertThrows(NullPointerException.class, () -> limited.fill(null, null, 0, db));
      assertEquals("k@v1", limited.fill("k", null, 0, db), "the one token is still there");
      assertThrows(NullPointerException.class, () -> limited.fill("k", null, 0, null), "no token left: still an NPE");
      assertEquals(0, counters.get(Event.RATE_LIMITED));
    }
  }

  /** Store-independent bookkeeping: an inner fill that loads nothing keeps it fast. */
  @Test
  void onceThereAreManyClientsOnlyRefilledBucketsArePruned() {
    RateLimited<String, String> limited = limited((key, seen, fence, loader) -> "v", 1, 1.0);
    for (int i = 0; i < 9_999; i++) {
      client.set("c" + i);
      limited.fill("k", null, 0, db);
    }
    ticker.advance(Duration.ofSeconds(2)); // every c-client has refilled: same as no bucket
    client.set("busy");
    limited.fill("k", null, 0, db);
    assertEquals(10_000, limited.clients());
    client.set("new");
    limited.fill("k", null, 0, db);
    assertEquals(2, limited.clients(), "the refilled buckets were dropped, busy and new kept");
    client.set("busy");
    assertThrows(RejectedException.class, () -> limited.fill("k", null, 0, db), "busy's state was kept");
  }
}
