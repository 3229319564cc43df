package stampede.examples;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.CircuitBreaker;
import stampede.strategies.LoadShedder;
import stampede.strategies.SingleFlight;

/**
 * A cache that answers a failing or overloaded database with the last value it had (stale-if-error), stops calling
 * a database that keeps failing (a circuit breaker) and never queues more loads than the pool serves (a shedder).
 */
public final class NeverErrorExample {
  private NeverErrorExample() { }

  /** What {@link ExamplesTest} reads: the cache, and the breaker to see it open. */
  record Protected(Example example, CircuitBreaker<String, Product> breaker) { }

  static Protected build() throws Exception {
    // docs:begin never-error
    ExecutorService executor = Executors.newFixedThreadPool(2);
    Counters metrics = new Counters();
    Duration ttl = Duration.ofSeconds(2);                      // short, so that the test sees a value expire
    CacheStore<String, Product> store = new CaffeineStore<>(Ticker.system(), executor, 10_000, Duration.ofMinutes(10));
    StoreFill<String, Product> load = new StoreFill<>(store, metrics, Ttl.fixed(ttl));
    CircuitBreaker<String, Product> breaker = CircuitBreaker.builder(load)
        .failureThreshold(5)                                   // 5 failed loads in a row: stop calling for 10 s
        .openFor(Duration.ofSeconds(10))
        .metrics(metrics)
        .build();
    Fill<String, Product> shedder = LoadShedder.builder(breaker)
        .maxConcurrentLoads(20)                                // at most 20 loads at once (the pool)
        .maxQueueWait(Duration.ofMillis(100))                  // a load waits at most 100 ms for a slot
        .metrics(metrics)
        .build();
    LoadingStrategy<String, Product> products = CacheAside.builder(store,
            SingleFlight.builder(store, shedder).metrics(metrics).build())
        .metrics(metrics)
        .staleIfError(Duration.ofMinutes(10))                  // a failed or refused load: the value up to 10 min old
        .build();

    ProductDatabase database = new ProductDatabase();
    Product p = products.get("sku-42", database::load);
    // docs:end never-error
    return new Protected(new Example(products, database, executor::shutdownNow), breaker);
  }
}
