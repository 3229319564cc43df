package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Ticker;
import stampede.redis.RedisStore;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Callers that miss L1 on the same key at once share one Redis read: a hot key whose L1 copy was just invalidated
 * costs Redis one {@code GET} per node, not one per caller (at 25,000 requests/s a node would otherwise send every
 * request of the read's round trip to Redis).
 */
class NearCacheReadCoalescingTest {
  private static final int CALLERS = 50;
  private final ManualTicker ticker = new ManualTicker();

  @Test
  void fiftyCallersMissingL1AtOnceMakeOneRedisRead() throws Exception {
    try (StoreFixture<String> f = StoreKind.REDIS.open(ticker)) {
      RedisStore<String, String> redis = (RedisStore<String, String>) f.store;
      long now = ticker.read();
      redis.put("k", new Entry<>("v", now, now + 60_000_000_000L, 0, 0));
      CountDownLatch release = new CountDownLatch(1);
      Gated gated = new Gated(redis, release);
      ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
      try (NearCache<String, String> near = NearCache.builder(gated, redis.keys(),
          NearCacheContractTest.client(StoreKind.REDIS)).build()) {
        CountDownLatch started = new CountDownLatch(CALLERS);
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          answers.add(pool.submit(() -> {
            started.countDown();
            return near.get("k").value();
          }));
        }
        started.await(10, TimeUnit.SECONDS);
        Thread.sleep(200); // every caller is in get(): the first holds the read, the others miss L1 meanwhile
        release.countDown();
        for (Future<String> answer : answers) {
          assertEquals("v", answer.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, gated.reads.get(), "Redis reads for " + CALLERS + " callers missing L1 at once");
        assertEquals("v", near.get("k").value());
        assertEquals(1, gated.reads.get(), "the next read is an L1 hit: " + near.stats());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Counts reads; each waits until the test releases them. */
  private static final class Gated implements CacheStore<String, String> {
    final AtomicInteger reads = new AtomicInteger();
    private final CacheStore<String, String> store;
    private final CountDownLatch release;

    Gated(CacheStore<String, String> store, CountDownLatch release) {
      this.store = store;
      this.release = release;
    }

    @Override
    public Entry<String> get(String key) {
      reads.incrementAndGet();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }
  }
}
