package stampede.examples;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.micrometer.MicrometerMetrics;
import stampede.strategies.CacheAside;
import stampede.strategies.Monitoring;
import stampede.strategies.SingleFlight;

/** Every event as a Micrometer meter, and the three stampede alerts, on a single-flight cache. */
public final class MetricsExample {
  private MetricsExample() { }

  /** What {@link ExamplesTest} reads: the cache, and the registry and alerts it reports to. */
  record Monitored(Example example, MeterRegistry registry, Monitoring monitoring) { }

  static Monitored monitored() throws Exception {
    // docs:begin metrics
    MeterRegistry registry = new SimpleMeterRegistry();      // Spring Boot: the one it injects
    MicrometerMetrics meters = MicrometerMetrics.builder(registry, "products").build();
    Monitoring monitoring = Monitoring.builder(meters)       // forwards every event to the meters
        .hitRatio(0.8, Duration.ofMinutes(1), 100)           // low: under 80% over the last minute of >= 100 requests
        .missStorm(100, Duration.ofSeconds(1))               // a storm: 100 misses of one key within a second
        .databasePool(20, 0.8)                               // 20 connections (the pool's maximum); alert at 16 loads
        .build();                                            // (the first two lines are the defaults)
    meters.bindAlerts(monitoring);                           // the alerts as gauges

    ExecutorService executor = Executors.newFixedThreadPool(2);
    CacheStore<String, Product> store = new CaffeineStore<>(Ticker.system(), executor, 10_000, Duration.ofMinutes(5));
    StoreFill<String, Product> load = new StoreFill<>(store, monitoring, Ttl.fixed(Duration.ofMinutes(1)));
    Fill<String, Product> fill = SingleFlight.builder(store, load).metrics(monitoring).build();
    LoadingStrategy<String, Product> products = CacheAside.builder(store, fill).metrics(monitoring).build();
    // docs:end metrics
    return new Monitored(new Example(products, new ProductDatabase(), executor::shutdownNow), registry, monitoring);
  }
}
