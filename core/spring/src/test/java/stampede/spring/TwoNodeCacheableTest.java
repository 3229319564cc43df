package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.cache.RedisCacheConfiguration;
import org.springframework.data.redis.cache.RedisCacheManager;
import org.springframework.data.redis.cache.RedisCacheWriter;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import stampede.testkit.Callers;
import stampede.testkit.SharedRedis;

/**
 * Two Spring application contexts (two nodes) on one embedded Redis, 100 threads each, call one
 * {@code @Cacheable} method on an expired key, all released together. The method parks 200 ms (the database).
 * Measured in one class: the stampede {@code LayeredStack} cache with {@code sync = true}; Spring Data Redis's
 * {@code RedisCacheManager} (Lettuce, the default non-locking cache writer, as Spring Boot configures it) with and
 * without {@code sync}; and the stampede cache without {@code sync} (Spring then calls {@code get(key)} and
 * {@code put}, never the strategy). Then {@code @CachePut}, {@code @CacheEvict} and a failing load, across the
 * two nodes.
 */
class TwoNodeCacheableTest {
  static final int THREADS_PER_NODE = 100;
  static final Duration TTL = Duration.ofSeconds(1);
  static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
  static final java.util.concurrent.atomic.AtomicLong LOADED = new java.util.concurrent.atomic.AtomicLong();
  static final Map<String, AtomicInteger> IN_FLIGHT = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> MOST_IN_FLIGHT = new ConcurrentHashMap<>();

  static ConfigurableApplicationContext nodeA;
  static ConfigurableApplicationContext nodeB;

  @BeforeAll
  static void startTwoNodes() {
    String prefix = "t" + System.nanoTime() + ":";
    nodeA = node("a", prefix);
    nodeB = node("b", prefix);
  }

  static ConfigurableApplicationContext node(String name, String prefix) {
    return new SpringApplicationBuilder(Node.class).web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off", "node.name=" + name, "node.prefix=" + prefix,
            "node.redis-port=" + SharedRedis.server().port())
        .run();
  }

  @AfterAll
  static void stop() {
    if (nodeA != null) {
      nodeA.close();
    }
    if (nodeB != null) {
      nodeB.close();
    }
  }

  /** How many times the method ran when 2 x 100 threads called it on {@code key} after it expired. */
  static int stampede(String method, String key) throws InterruptedException {
    Books a = nodeA.getBean(Books.class);
    Books b = nodeB.getBean(Books.class);
    call(a, method, key); // cached, then left to expire
    LockSupport.parkNanos(TTL.toNanos() + TimeUnit.MILLISECONDS.toNanos(300));
    AtomicInteger runs = RUNS.computeIfAbsent(method, m -> new AtomicInteger());
    runs.set(0);
    List<Object> got = Callers.race(2 * THREADS_PER_NODE, i -> 0, i -> call(i % 2 == 0 ? a : b, method, key),
        Duration.ofSeconds(60), method);
    for (Object v : got) {
      assertTrue(v instanceof String s && s.startsWith(key + "@"), method + ": a caller got " + v);
    }
    int n = runs.get();
    System.out.printf("%s: 2 nodes x %d threads on an expired key -> the method ran %d times%n", method,
        THREADS_PER_NODE, n);
    return n;
  }

  static Object call(Books books, String method, String key) {
    return switch (method) {
      case "stampedeSync" -> books.stampedeSync(key);
      case "stampedeNoSync" -> books.stampedeNoSync(key);
      case "springSync" -> books.springSync(key);
      case "springNoSync" -> books.springNoSync(key);
      case "springLockingSync" -> books.springLockingSync(key);
      case "stampedeStale" -> books.stampedeStale(key);
      default -> throw new IllegalArgumentException(method);
    };
  }

  @Test
  void stampedeOnAnExpiredKeyAcrossTwoNodes() throws InterruptedException {
    int layered = stampede("stampedeSync", "k1");
    int springSync = stampede("springSync", "k2");
    int springNoSync = stampede("springNoSync", "k3");
    int layeredNoSync = stampede("stampedeNoSync", "k4");
    int springLocking = stampede("springLockingSync", "k5");
    System.out.printf("runs of the method: LayeredStack sync=%d, RedisCacheManager sync=%d, RedisCacheManager"
        + " no sync=%d, LayeredStack no sync=%d, RedisCacheManager locking writer sync=%d%n", layered, springSync,
        springNoSync, layeredNoSync, springLocking);

    assertEquals(1, layered, "LayeredStack: one load across both nodes");
    // Spring Data Redis 4.0.6: RedisCache.get(key, Callable) hands the load to the cache writer, and the default
    // (non-locking) writer reads, loads and writes with no lock or monitor: sync = true coalesces nothing, not even
    // within one JVM (measured: 200 of 200).
    assertTrue(springSync > 2 && springSync <= 2 * THREADS_PER_NODE, "RedisCacheManager with sync: " + springSync);
    // Without sync nothing coalesces: every caller that missed runs the method (at most all 200).
    assertTrue(springNoSync > 2 && springNoSync <= 2 * THREADS_PER_NODE, "no sync: " + springNoSync);
    assertTrue(layeredNoSync > 2 && layeredNoSync <= 2 * THREADS_PER_NODE, "no sync: " + layeredNoSync);
    assertTrue(springLocking >= 1 && springLocking <= 2, "locking writer: " + springLocking);
  }

  /**
   * With the default stale-while-revalidate (one TTL), the 200 callers on the just-expired key are all answered at
   * once with the old value, and the method runs once, in the background, for both nodes.
   */
  @Test
  void staleWhileRevalidateAnswersEveryoneAndRefreshesOnce() throws InterruptedException {
    Books a = nodeA.getBean(Books.class);
    Books b = nodeB.getBean(Books.class);
    String old = a.stampedeStale("s1");
    LockSupport.parkNanos(TTL.toNanos() + TimeUnit.MILLISECONDS.toNanos(300));
    AtomicInteger runs = RUNS.computeIfAbsent("stampedeStale", m -> new AtomicInteger());
    runs.set(0);
    List<Object> got = Callers.race(2 * THREADS_PER_NODE, i -> 0, i -> call(i % 2 == 0 ? a : b, "stampedeStale", "s1"),
        Duration.ofSeconds(60), "stampedeStale");
    long served = got.stream().filter(old::equals).count();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (runs.get() == 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1000)); // room for a second refresh, if any were to run
    System.out.printf("stampedeStale: 2 nodes x %d threads on a key expired within stale-while-revalidate -> %d"
        + " served the old value, the method ran %d times%n", THREADS_PER_NODE, served, runs.get());
    assertEquals(2 * THREADS_PER_NODE, served, "every caller got the old value at once");
    assertEquals(1, runs.get(), "one refresh for both nodes");
    String refreshed = b.stampedeStale("s1");
    assertTrue(refreshed.startsWith("s1@") && !refreshed.equals(old), "the refreshed value: " + refreshed);
    assertEquals(1, runs.get(), "a hit");
  }

  @Test
  void cachePutAndCacheEvictAsSpringDocuments() {
    Books a = nodeA.getBean(Books.class);
    Books b = nodeB.getBean(Books.class);
    RUNS.computeIfAbsent("stampedeSync", m -> new AtomicInteger()).set(0);

    // @CachePut: the method always runs, and its result replaces the entry, on every node.
    assertEquals("p1@put", a.update("p1", "put"));
    assertEquals("p1@put2", a.update("p1", "put2"));
    assertEquals("p1@put2", b.stampedeSync("p1"));
    assertEquals(0, RUNS.get("stampedeSync").get(), "node b read what node a put");

    // @CacheEvict: the entry is gone; the next read on the other node runs the method.
    a.evict("p1");
    assertTrue(b.stampedeSync("p1").startsWith("p1@"));
    assertEquals(1, RUNS.get("stampedeSync").get());
    assertTrue(b.stampedeSync("p1").startsWith("p1@"));
    assertEquals(1, RUNS.get("stampedeSync").get(), "cached again");

    // @CacheEvict after a method that throws: no eviction (beforeInvocation = false).
    assertThrows(IllegalStateException.class, () -> a.evictThenFail("p1"));
    b.stampedeSync("p1");
    assertEquals(1, RUNS.get("stampedeSync").get(), "not evicted");

    // @CacheEvict(allEntries = true): the cache's generation moves; node b misses at once, with no KEYS or FLUSHDB.
    b.stampedeSync("p2");
    assertEquals(2, RUNS.get("stampedeSync").get());
    Map<String, Long> before = commandStats();
    a.clear();
    Map<String, Long> after = commandStats();
    b.stampedeSync("p1");
    b.stampedeSync("p2");
    assertEquals(4, RUNS.get("stampedeSync").get(), "both keys cleared");
    for (String command : List.of("keys", "scan", "flushdb", "flushall")) {
      assertEquals(before.get(command), after.get(command), command + " was called by clear");
    }
    assertEquals(before.getOrDefault("incr", 0L) + 1, after.get("incr"), "clear is one INCR");
  }

  @Test
  void aLoaderExceptionReachesTheCallerWithItsCause() {
    Books a = nodeA.getBean(Books.class);
    // Through @Cacheable(sync = true), Spring unwraps the ValueRetrievalException: the method's own exception.
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> a.failing("f1"));
    assertEquals("database down for f1", thrown.getMessage());
    // The Cache API itself: Spring's ValueRetrievalException with the loader's exception as its cause.
    Cache cache = nodeB.getBean("stampedeCacheManager", CacheManager.class).getCache("books");
    IllegalStateException cause = new IllegalStateException("database down");
    Cache.ValueRetrievalException e = assertThrows(Cache.ValueRetrievalException.class,
        () -> cache.get("f2", () -> {
          throw cause;
        }));
    assertSame(cause, e.getCause());
    assertNull(cache.get("f2"), "nothing cached");
    assertInstanceOf(StampedeCache.class, cache);
  }

  static Map<String, Long> commandStats() {
    try (StatefulRedisConnection<String, String> c = SharedRedis.client().connect()) {
      String info = c.sync().info("commandstats");
      Map<String, Long> calls = new ConcurrentHashMap<>();
      Matcher m = Pattern.compile("cmdstat_(\\w+):calls=(\\d+)").matcher(info);
      while (m.find()) {
        calls.put(m.group(1), Long.parseLong(m.group(2)));
      }
      for (String command : List.of("keys", "scan", "flushdb", "flushall")) {
        calls.putIfAbsent(command, 0L);
      }
      return calls;
    }
  }

  static String load(String method, String key, String value) {
    RUNS.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    AtomicInteger inFlight = IN_FLIGHT.computeIfAbsent(method, m -> new AtomicInteger());
    AtomicInteger most = MOST_IN_FLIGHT.computeIfAbsent(method, m -> new AtomicInteger());
    most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // the database
    } finally {
      inFlight.decrementAndGet();
    }
    return key + "@" + value + "#" + LOADED.incrementAndGet(); // every load's value differs
  }

  /**
   * The price of the locking writer: its lock is one per cache name, so 2 x 10 callers on 10 different keys load one
   * key at a time across both nodes, where the stampede cache's leases are per key.
   */
  @Test
  void theLockingWriterLoadsOneKeyAtATimePerCache() throws InterruptedException {
    Books a = nodeA.getBean(Books.class);
    Books b = nodeB.getBean(Books.class);
    for (String method : List.of("stampedeSync", "springLockingSync")) {
      MOST_IN_FLIGHT.computeIfAbsent(method, m -> new AtomicInteger()).set(0);
      RUNS.computeIfAbsent(method, m -> new AtomicInteger()).set(0);
      Callers.race(20, i -> 0, i -> call(i % 2 == 0 ? a : b, method, "d" + method + (i / 2)), Duration.ofSeconds(60),
          method);
      System.out.printf("%s: 2 nodes x 10 callers on 10 different keys -> %d loads, at most %d at once%n", method,
          RUNS.get(method).get(), MOST_IN_FLIGHT.get(method).get());
    }
    assertEquals(10, RUNS.get("stampedeSync").get(), "one load per key");
    assertTrue(MOST_IN_FLIGHT.get("stampedeSync").get() > 1, "stampede: keys load in parallel");
    assertEquals(1, MOST_IN_FLIGHT.get("springLockingSync").get(), "locking writer: one load at a time per cache");
  }

  /** The service both nodes run. */
  public static class Books {
    private final String node;

    public Books(String node) {
      this.node = node;
    }

    @Cacheable(cacheNames = "books", cacheManager = "stampedeCacheManager", sync = true)
    public String stampedeSync(String isbn) {
      return load("stampedeSync", isbn, node);
    }

    @Cacheable(cacheNames = "books", cacheManager = "stampedeCacheManager")
    public String stampedeNoSync(String isbn) {
      return load("stampedeNoSync", isbn, node);
    }

    @Cacheable(cacheNames = "books-stale", cacheManager = "stampedeCacheManager", sync = true)
    public String stampedeStale(String isbn) {
      return load("stampedeStale", isbn, node);
    }

    @Cacheable(cacheNames = "books", cacheManager = "redisCacheManager", sync = true)
    public String springSync(String isbn) {
      return load("springSync", isbn, node);
    }

    @Cacheable(cacheNames = "books", cacheManager = "redisCacheManager")
    public String springNoSync(String isbn) {
      return load("springNoSync", isbn, node);
    }

    @Cacheable(cacheNames = "books", cacheManager = "lockingRedisCacheManager", sync = true)
    public String springLockingSync(String isbn) {
      return load("springLockingSync", isbn, node);
    }

    @CachePut(cacheNames = "books", cacheManager = "stampedeCacheManager", key = "#p0")
    public String update(String isbn, String title) {
      return isbn + "@" + title;
    }

    @CacheEvict(cacheNames = "books", cacheManager = "stampedeCacheManager")
    public void evict(String isbn) {
    }

    @CacheEvict(cacheNames = "books", cacheManager = "stampedeCacheManager")
    public void evictThenFail(String isbn) {
      throw new IllegalStateException("the update failed");
    }

    @CacheEvict(cacheNames = "books", cacheManager = "stampedeCacheManager", allEntries = true)
    public void clear() {
    }

    @Cacheable(cacheNames = "books", cacheManager = "stampedeCacheManager", sync = true)
    public String failing(String isbn) {
      throw new IllegalStateException("database down for " + isbn);
    }
  }

  /** One node: its own Redis clients for both cache managers. */
  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Node {

    @Bean
    Books books(Environment env) {
      return new Books(env.getRequiredProperty("node.name"));
    }

    @Bean
    @Primary
    StampedeCacheManager stampedeCacheManager(Environment env) {
      String uri = "redis://127.0.0.1:" + env.getRequiredProperty("node.redis-port");
      return StampedeCacheManager.builder().keyPrefix(env.getRequiredProperty("node.prefix"))
          .cache("books", new CacheSpec().setStrategy(CacheSpec.Strategy.LAYERED_STACK).setRedisUri(uri).setTtl(TTL)
              .setJitter(0).setStaleWhileRevalidate(Duration.ZERO).setStaleIfError(Duration.ZERO))
          .cache("books-stale", new CacheSpec().setRedisUri(uri).setTtl(TTL).setJitter(0)) // stale bounds: one TTL
          .build();
    }

    @Bean
    LettuceConnectionFactory redisConnectionFactory(Environment env) {
      return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1",
          Integer.parseInt(env.getRequiredProperty("node.redis-port"))));
    }

    @Bean
    RedisCacheManager redisCacheManager(LettuceConnectionFactory factory, Environment env) {
      return RedisCacheManager.builder(factory).cacheDefaults(RedisCacheConfiguration.defaultCacheConfig()
          .entryTtl(TTL).prefixCacheNameWith(env.getRequiredProperty("node.prefix") + "spring:")).build();
    }

    /** The same with Spring Data Redis's locking cache writer: a lock per cache name, held around each load. */
    @Bean
    RedisCacheManager lockingRedisCacheManager(LettuceConnectionFactory factory, Environment env) {
      return RedisCacheManager.builder(RedisCacheWriter.lockingRedisCacheWriter(factory))
          .cacheDefaults(RedisCacheConfiguration.defaultCacheConfig().entryTtl(TTL)
              .prefixCacheNameWith(env.getRequiredProperty("node.prefix") + "spring-locking:")).build();
    }
  }
}
