package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.springframework.cache.interceptor.SimpleKey;
import stampede.core.InterruptedLoadException;
import stampede.core.RejectedException;
import stampede.testkit.Callers;

/** The Spring semantics of {@link StampedeCache}, on the in-process store (Caffeine) with single flight. */
class StampedeCacheTest {
  private final StampedeCacheManager manager = StampedeCacheManager.builder()
      .cache("books", new CacheSpec().setTtl(Duration.ofMinutes(1)))
      .cache("strict", new CacheSpec().setTtl(Duration.ofMinutes(1)).setAllowNullValues(false))
      .cache("short", new CacheSpec().setTtl(Duration.ofMillis(50)).setJitter(0))
      .build();
  private final Cache books = manager.getCache("books");
  private final Cache strict = manager.getCache("strict");

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  void getPutEvictAndClearAsSpringDocuments() {
    assertNull(books.get("isbn-1"));
    books.put("isbn-1", "Dune");
    Cache.ValueWrapper hit = books.get("isbn-1");
    assertNotNull(hit);
    assertEquals("Dune", hit.get());
    assertEquals("Dune", books.get("isbn-1", String.class));
    assertThrows(IllegalStateException.class, () -> books.get("isbn-1", Integer.class));

    books.put(new SimpleKey("a", 1), "composite");
    assertEquals("composite", books.get(new SimpleKey("a", 1)).get());
    assertNull(books.get(new SimpleKey("a", 1L)));

    books.evict("isbn-1");
    assertNull(books.get("isbn-1"));
    assertEquals("composite", books.get(new SimpleKey("a", 1)).get());
    books.clear();
    assertNull(books.get(new SimpleKey("a", 1)));
    books.put("isbn-2", "Emma");
    assertEquals("Emma", books.get("isbn-2").get(), "a cleared cache takes new entries");
  }

  @Test
  void getWithLoaderLoadsOnceThenHits() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    assertEquals("v1", books.get("k", () -> "v" + calls.incrementAndGet()));
    assertEquals("v1", books.get("k", () -> "v" + calls.incrementAndGet()));
    assertEquals(1, calls.get());
    assertEquals("v1", books.get("k").get(), "what the loader returned is in the store");
  }

  @Test
  void concurrentLoadersOnOneKeyRunOnce() throws InterruptedException {
    AtomicInteger calls = new AtomicInteger();
    List<Object> got = Callers.run(50, () -> books.get("hot", () -> {
      calls.incrementAndGet();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the database
      return "value";
    }));
    assertEquals(1, calls.get(), "50 callers, one load");
    got.forEach(v -> assertEquals("value", v));
  }

  @Test
  void theLoadersExceptionIsTheCauseOfAValueRetrievalException() {
    IOException failure = new IOException("database down");
    Cache.ValueRetrievalException e = assertThrows(Cache.ValueRetrievalException.class,
        () -> books.get("k", () -> {
          throw failure;
        }));
    assertSame(failure, e.getCause());
    assertEquals("k", e.getKey());
    assertNull(books.get("k"), "a failed load is not cached");
  }

  @Test
  void nullValuesAreCachedAsSpringsMarker() {
    books.put("absent", null);
    Cache.ValueWrapper hit = books.get("absent");
    assertNotNull(hit, "a cached null is a hit");
    assertNull(hit.get());

    AtomicInteger calls = new AtomicInteger();
    assertNull(books.get("none", () -> {
      calls.incrementAndGet();
      return null;
    }));
    assertNull(books.get("none", () -> {
      calls.incrementAndGet();
      return null;
    }));
    assertEquals(1, calls.get(), "a null the loader returned is cached");
  }

  @Test
  void nullValuesAreRefusedWithSpringsErrorWhenNotAllowed() {
    IllegalArgumentException put = assertThrows(IllegalArgumentException.class, () -> strict.put("k", null));
    assertEquals("Cache 'strict' is configured to not allow null values but null was provided", put.getMessage());
    Cache.ValueRetrievalException load = assertThrows(Cache.ValueRetrievalException.class,
        () -> strict.get("k", () -> null));
    assertTrue(load.getCause() instanceof IllegalArgumentException, String.valueOf(load.getCause()));
    assertNull(strict.get("k"));
  }

  @Test
  void anExpiredEntryIsAMissForGet() {
    Cache cache = manager.getCache("short");
    cache.put("k", "v");
    assertEquals("v", cache.get("k").get());
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(80);
    for (long left; (left = until - System.nanoTime()) > 0; ) {
      LockSupport.parkNanos(left); // may return early
    }
    assertNull(cache.get("k"));
  }

  @Test
  void unknownNamesHaveNoCacheWithoutDefaults() {
    assertNull(manager.getCache("other"));
    try (StampedeCacheManager dynamic = StampedeCacheManager.builder().defaults(new CacheSpec()).build()) {
      Cache other = dynamic.getCache("other");
      assertNotNull(other);
      assertSame(other, dynamic.getCache("other"));
      assertTrue(dynamic.getCacheNames().contains("other"));
    }
  }

  @Test
  void aSettingThatCannotWorkIsRefusedNamingTheCache() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StampedeCacheManager.builder()
        .cache("orders", new CacheSpec().setStrategy(CacheSpec.Strategy.LAYERED_STACK)).build());
    assertTrue(e.getMessage().startsWith("cache 'orders': LAYERED_STACK"), e.getMessage());
    IllegalArgumentException jitter = assertThrows(IllegalArgumentException.class, () -> StampedeCacheManager
        .builder().cache("orders", new CacheSpec().setJitter(1.5)).build());
    assertTrue(jitter.getMessage().startsWith("cache 'orders': "), jitter.getMessage());
  }

  @Test
  void aRefusalAndAnInterruptAreTheCauseThemselves() {
    RejectedException refused = new RejectedException("k", "circuit open");
    StampedeCache rejecting = new StampedeCache("r", ((StampedeCache) books).getNativeCache(), (k, loader) -> {
      throw refused;
    }, k -> 1_000_000_000L, Generation.local(), true);
    Cache.ValueRetrievalException e = assertThrows(Cache.ValueRetrievalException.class,
        () -> rejecting.get("k", () -> "never"));
    assertSame(refused, e.getCause(), "@Cacheable rethrows it to the caller, not to the CacheErrorHandler");

    StampedeCache interrupted = new StampedeCache("i", ((StampedeCache) books).getNativeCache(), (k, loader) -> {
      throw InterruptedLoadException.of(k, "while waiting for the load in flight", new InterruptedException());
    }, k -> 1_000_000_000L, Generation.local(), true);
    try {
      Cache.ValueRetrievalException i = assertThrows(Cache.ValueRetrievalException.class,
          () -> interrupted.get("k", () -> "never"));
      assertInstanceOf(InterruptedLoadException.class, i.getCause());
      assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt status stays set");
    } finally {
      Thread.interrupted();
    }
  }
}
