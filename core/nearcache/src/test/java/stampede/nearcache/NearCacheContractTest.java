package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.AbstractRedisClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Entry;
import stampede.core.Ticker;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The store contract of {@code StoreContractTest} (the store cases; leases are not the near cache's) run on a
 * {@link NearCache} in front of a real Redis and a real Redis Cluster, and what a near cache adds: hits from L1,
 * and a write on one node dropping the other node's copy.
 */
class NearCacheContractTest {
  private final ManualTicker ticker = new ManualTicker();

  static AbstractRedisClient client(StoreKind kind) {
    return kind == StoreKind.REDIS ? SharedRedis.client() : SharedRedis.clusterClient();
  }

  static <V> NearCache<String, V> near(StoreFixture<V> f) {
    return NearCache.builder((RedisStore<String, V>) f.store, client(f.kind)).build();
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void roundTripsAnEntryWithAllItsFields(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker); NearCache<String, String> near = near(f)) {
      assertNull(near.get("k"));
      Entry<String> e = new Entry<>("välue", ticker.read(), ticker.read() + 5_000_000_000L, 1234, 0);
      Settle.afterWrite(() -> assertTrue(near.put("k", e)), near);
      assertEquals(e, near.get("k"));
      assertEquals(e, near.get("k"));
      assertEquals(1, near.stats().hits(), "the second read is an L1 hit: " + near.stats());
      near.invalidate("k");
      assertNull(near.get("k"));
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void keepsAStaleEntryForTheRetentionThenDropsIt(StoreKind kind) throws Exception {
    Ticker wall = Ticker.wall();
    try (StoreFixture<String> f = kind.open(wall, ValueCodec.utf8(), Duration.ofSeconds(1));
        NearCache<String, String> near = near(f)) {
      long now = wall.read();
      near.put("k", new Entry<>("v", now, now + 100_000_000L, 0, 0));
      Thread.sleep(200);
      Entry<String> stale = near.get("k");
      assertEquals("v", stale.value());
      assertFalse(stale.isFresh(wall.read()));
      assertEquals("v", near.get("k").value());
      Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(now + 1_300_000_000L - wall.read())));
      assertNull(near.get("k"));
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void refusesToOverwriteAHigherFence(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker); NearCache<String, String> near = near(f)) {
      long now = ticker.read();
      assertTrue(near.put("k", new Entry<>("new", now, now + 10_000_000_000L, 0, 7)));
      assertEquals("new", near.get("k").value());
      assertFalse(near.put("k", new Entry<>("old", now, now + 10_000_000_000L, 0, 6)));
      assertEquals("new", near.get("k").value());
      assertTrue(near.put("k", new Entry<>("newer", now, now + 10_000_000_000L, 0, 8)));
      assertEquals("newer", near.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void anUnfencedWriteReplacesAFencedEntry(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker); NearCache<String, String> near = near(f)) {
      long now = ticker.read();
      assertTrue(near.put("k", new Entry<>("under a lock", now, now + 10_000_000_000L, 0, 7)));
      assertEquals("under a lock", near.get("k").value());
      assertTrue(near.put("k", new Entry<>("written through", now, now + 10_000_000_000L, 0, 0)));
      assertEquals("written through", near.get("k").value());
      assertTrue(near.put("k", new Entry<>("under a newer lock", now, now + 10_000_000_000L, 0, 3)));
      assertEquals("under a newer lock", near.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void aStaleEntryStillRefusesAnOlderFencedWrite(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker); NearCache<String, String> near = near(f)) {
      long now = ticker.read();
      assertTrue(near.put("k", new Entry<>("newer", now, now + 1_000_000_000L, 0, 9)));
      ticker.advance(Duration.ofSeconds(2));
      assertFalse(near.get("k").isFresh(ticker.read()));
      long later = ticker.read();
      assertFalse(near.put("k", new Entry<>("older load", later, later + 1_000_000_000L, 0, 8)));
      assertEquals("newer", near.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void rejectsNullKeysAndReportsTheStoresClock(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker); NearCache<String, String> near = near(f)) {
      assertThrows(NullPointerException.class, () -> near.get(null));
      assertThrows(NullPointerException.class, () -> near.put(null, new Entry<>("v", 0, 1, 0, 0)));
      assertEquals(ticker.read(), near.ticker().read());
    }
  }

  /** A write on node B drops node A's L1 copy: A reads the new value within the invalidation latency. */
  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void aWriteOnAnotherNodeInvalidatesThisNodesCopy(StoreKind kind) throws Exception {
    try (StoreFixture<String> fa = kind.open(ticker); StoreFixture<String> fb = fa.node();
        NearCache<String, String> a = near(fa); NearCache<String, String> b = near(fb)) {
      long now = ticker.read();
      for (String key : new String[] {"k1", "k2", "k3", "k4", "k5", "k6"}) { // spread over the cluster's masters
        Settle.afterWrite(() -> b.put(key, new Entry<>("old", now, now + 60_000_000_000L, 0, 0)), a);
        assertEquals("old", a.get(key).value());
        assertEquals("old", a.get(key).value());
        b.put(key, new Entry<>("new", now, now + 60_000_000_000L, 0, 0));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500); // maxAge is 1 s
        while (!"new".equals(a.get(key).value()) && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        assertEquals("new", a.get(key).value(), key + " invalidated well before maxAge: " + a.stats());
      }
      assertTrue(a.stats().invalidations() >= 6, a.stats().toString());
      assertTrue(a.stats().hits() >= 6, a.stats().toString());
    }
  }
}
