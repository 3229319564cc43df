package stampede.examples;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.AdaptiveLimit;
import stampede.strategies.CacheAside;
import stampede.strategies.PriorityShedder;
import stampede.strategies.PriorityShedder.Priority;
import stampede.strategies.StaleWhileRevalidate;

/**
 * Loads by priority (docs/priority-shedding.md): checkout keys CRITICAL, the rest DEFAULT, background refreshes
 * BULK, under a limit that follows the database's latency up to its pool of 20.
 */
public final class PriorityExample {
  private PriorityExample() { }

  static Example build() {
    ExecutorService executor = Executors.newFixedThreadPool(2);
    ExecutorService refreshPool = Executors.newFixedThreadPool(2);
    Counters metrics = new Counters();
    Duration ttl = Duration.ofMinutes(1);
    CacheStore<String, Product> store = new CaffeineStore<>(Ticker.system(), executor, 10_000, Duration.ofMinutes(10));
    ProductDatabase database = new ProductDatabase();
    String key = "checkout:sku-42";
    // docs:begin priority
    PriorityShedder<String, Product> shedder = PriorityShedder.builder(new StoreFill<>(store, metrics, Ttl.fixed(ttl)))
        .adaptive(AdaptiveLimit.builder(20).build())            // or .limit(20): the pool size
        .shares(10, 60, 10)                                      // percent of the limit: CRITICAL, DEFAULT, BULK
        .classifier(k -> k.startsWith("checkout:") ? Priority.CRITICAL : Priority.DEFAULT)
        .metrics(metrics).build();
    CacheAside<String, Product> cache = CacheAside.builder(store, shedder).metrics(metrics)
        .staleIfError(Duration.ofMinutes(5))                     // a refused load answers with a stale value if any
        .policy(new StaleWhileRevalidate<>(ttl), PriorityShedder.asBackground(refreshPool)) // refreshes run as BULK
        .build();
    Product p = PriorityShedder.as(Priority.CRITICAL, () -> cache.get(key, database::load)); // a request's class
    // docs:end priority
    return new Example(cache, database, () -> {
      executor.shutdownNow();
      refreshPool.shutdownNow();
    });
  }
}
