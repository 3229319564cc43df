package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Entry;
import stampede.redis.RedisStore;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The read/invalidate race, driven deterministically: node A reads the old value from Redis; before A fills its L1,
 * node B writes the new value and A receives the invalidation. A must not keep the old value. L1's clock is manual
 * and never moves, so {@code maxAge} cannot hide a stale copy: without the mark, A would serve "old" forever.
 */
class NearCacheRaceTest {
  private final ManualTicker ticker = new ManualTicker();
  private final ManualTicker l1Clock = new ManualTicker();

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void anInvalidationBetweenTheReadAndTheFillKeepsTheOldValueOutOfL1(StoreKind kind) throws Exception {
    try (StoreFixture<String> fa = kind.open(ticker); StoreFixture<String> fb = fa.node()) {
      RedisStore<String, String> storeA = (RedisStore<String, String>) fa.store;
      RacingStore<String, String> racing = new RacingStore<>(storeA);
      try (NearCache<String, String> a = NearCache.builder(racing, storeA.keys(), NearCacheContractTest.client(kind))
          .clock(l1Clock).build()) {
        long now = ticker.read();
        Settle.afterWrite(() -> fb.store.put("k", new Entry<>("old", now, now + 60_000_000_000L, 0, 0)), a);
        long before = a.stats().invalidations();
        racing.afterNextGet(() -> { // A has read "old" from Redis and not filled L1 yet
          fb.store.put("k", new Entry<>("new", now, now + 60_000_000_000L, 0, 0));
          awaitInvalidation(a, before);
        });
        assertEquals("old", a.get("k").value(), "the racing read returns what it read");
        assertEquals("new", a.get("k").value(), "the next read must not be served the old value from L1");
        assertEquals("new", a.get("k").value());
        assertEquals(1, a.stats().fills(), "only the new value was filled: " + a.stats());
      }
    }
  }

  static void awaitInvalidation(NearCache<?, ?> near, long before) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (near.stats().invalidations() == before) {
      assertTrue(System.nanoTime() < deadline, "no invalidation within 5 s: " + near.stats());
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
