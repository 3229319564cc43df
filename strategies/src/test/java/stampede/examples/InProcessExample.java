package stampede.examples;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.TtlJitter;

/** One process, Caffeine as the store: single flight alone, then composed with jitter and stale-while-revalidate. */
public final class InProcessExample {
  private InProcessExample() { }

  /** The first protection to add: one load per key at a time in this process. */
  static Example singleFlight() throws Exception {
    // docs:begin single-flight
    ExecutorService executor = Executors.newFixedThreadPool(2); // Caffeine's maintenance; give it one of yours
    CacheStore<String, Product> store = new CaffeineStore<>(Ticker.system(), executor, 10_000, Duration.ofMinutes(5));
    StoreFill<String, Product> load = new StoreFill<>(store, Metrics.none(), Ttl.fixed(Duration.ofMinutes(1)));
    LoadingStrategy<String, Product> products = CacheAside.builder(store, SingleFlight.builder(store, load).build())
        .build();

    ProductDatabase database = new ProductDatabase();
    Product p = products.get("sku-42", database::load); // 50 threads asking at once: one load
    // docs:end single-flight
    return new Example(products, database, executor::shutdownNow);
  }

  /** Single flight, TTL jitter, stale-while-revalidate and stale-if-error on one cache. */
  static Example compose() throws Exception {
    // docs:begin compose
    ExecutorService executor = Executors.newFixedThreadPool(4);      // refreshes and Caffeine's maintenance
    Counters metrics = new Counters();                               // or MicrometerMetrics, or Monitoring
    DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    CacheStore<String, Product> store = new CaffeineStore<>(Ticker.system(), executor, 100_000, Duration.ofMinutes(5));
    Fill<String, Product> fill = SingleFlight.builder(store,
        new StoreFill<>(store, metrics, new TtlJitter<>(Duration.ofMinutes(1), 0.1, random))).metrics(metrics).build();
    LoadingStrategy<String, Product> products = CacheAside.builder(store, fill).metrics(metrics)
        .policy(new StaleWhileRevalidate<>(Duration.ofSeconds(30)), executor)
        .staleIfError(Duration.ofMinutes(2))
        .build();

    ProductDatabase database = new ProductDatabase();
    Product p = products.get("sku-42", database::load);
    // docs:end compose
    return new Example(products, database, executor::shutdownNow);
  }
}
