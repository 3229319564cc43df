package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.CacheManager;
import org.springframework.context.ConfigurableApplicationContext;
import stampede.caffeine.CaffeineStore;
import stampede.redis.RedisStore;
import stampede.spring.example.BookApplication;
import stampede.testkit.SharedRedis;

/**
 * The example application of docs/spring.md, run as it is with its {@code book-application.yml} (only the Redis URI
 * pointed at the embedded Redis): the cache manager comes from the properties, and the caches' meters are in the
 * application's own {@link MeterRegistry}.
 */
class StampedeAutoConfigurationTest {

  static ConfigurableApplicationContext run(String... args) {
    return new SpringApplicationBuilder(BookApplication.class).web(WebApplicationType.NONE)
        .properties("spring.config.name=book-application", "spring.main.banner-mode=off")
        .run(args);
  }

  @Test
  void theCacheManagerComesFromTheProperties() {
    String prefix = "shop" + System.nanoTime() + ":";
    try (ConfigurableApplicationContext app = run("--stampede.cache.key-prefix=" + prefix,
        "--stampede.cache.caches.books.redis-uri=" + SharedRedis.server().uri())) {
      CacheManager manager = app.getBean(CacheManager.class);
      assertInstanceOf(StampedeCacheManager.class, manager);
      StampedeCache books = (StampedeCache) manager.getCache("books");
      assertNotNull(books);
      assertInstanceOf(RedisStore.class, books.getNativeCache());
      assertInstanceOf(CaffeineStore.class, ((StampedeCache) manager.getCache("prices")).getNativeCache());

      BookApplication.BookService service = app.getBean(BookApplication.BookService.class);
      assertEquals("Title of 1", service.find("1").title());
      assertEquals("Title of 1", service.find("1").title());
      assertEquals(1, service.loads(), "the second call is a hit");
      service.rename("1", "Renamed");
      assertEquals("Renamed", service.find("1").title());
      service.deleteAll();
      assertEquals("Title of 1", service.find("1").title());
      assertEquals(2, service.loads(), "cleared");

      // ttl 10m, jitter 0.1, stale bounds 1m and 1h from the YAML: the entry Redis holds expires 9-11 minutes on
      Long pttl = SharedRedis.client().connect().sync().pttl(SpringKeys.redisKeys(prefix + "books:")
          .entry(new CacheKey(1, "1")));
      assertTrue(pttl > Duration.ofMinutes(9).plusHours(1).toMillis()
          && pttl <= Duration.ofMinutes(11).plusHours(1).toMillis(), "PX = ttl + the larger stale bound: " + pttl);

      MeterRegistry registry = app.getBean(MeterRegistry.class);
      assertEquals(2.0, registry.get("cache.gets").tags("cache", "books", "result", "hit", "cache.manager", "stampede")
          .counter().count(), "the two hits (the second find, the find after rename), in the application's registry");
      assertEquals(2, registry.get("cache.loads").tags("cache", "books", "result", "success").timer().count());
      assertNotNull(registry.find("stampede.loads.in.flight").tags("cache", "prices").gauge());
    }
  }

  @Test
  void itBacksOffWhenDisabled() {
    try (ConfigurableApplicationContext app = run("--stampede.cache.enabled=false",
        "--stampede.cache.caches.books.redis-uri=" + SharedRedis.server().uri())) {
      CacheManager manager = app.getBean(CacheManager.class);
      assertFalse(manager instanceof StampedeCacheManager, manager.getClass().getName());
    }
  }
}
