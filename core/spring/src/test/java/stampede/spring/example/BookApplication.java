// docs:begin spring
package stampede.spring.example;

import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Service;
import stampede.spring.JavaSerializationCodec;
import stampede.spring.boot.StampedeCacheManagerCustomizer;

/**
 * A Spring Boot application whose {@code @Cacheable(sync = true)} loads once across all its nodes: stampede-spring on
 * the class path, {@code @EnableCaching}, and the caches in {@code book-application.yml}. docs/spring.md shows this
 * file verbatim; StampedeAutoConfigurationTest runs it.
 */
@SpringBootApplication
@EnableCaching
public class BookApplication {

  public static void main(String[] args) {
    SpringApplication.run(BookApplication.class, args);
  }

  /** Values on Redis are Java-serialized: read back only the application's types and Spring's null marker. */
  @Bean
  StampedeCacheManagerCustomizer onlyBooksFromRedis() {
    ObjectInputFilter filter = ObjectInputFilter.Config.createFilter(
        "stampede.spring.example.*;java.lang.*;org.springframework.cache.support.NullValue;!*");
    return builder -> builder.codec(new JavaSerializationCodec(BookApplication.class.getClassLoader(), filter));
  }

  public record Book(String isbn, String title) implements Serializable {
  }

  @Service
  public static class BookService {
    final AtomicInteger loads = new AtomicInteger();

    /** One load per ISBN per expiry across every node; the other callers wait for it. */
    @Cacheable(cacheNames = "books", sync = true)
    public Book find(String isbn) {
      loads.incrementAndGet(); // the database query
      return new Book(isbn, "Title of " + isbn);
    }

    /** Runs every time; its result replaces the cached book (key = the first parameter). */
    @CachePut(cacheNames = "books", key = "#p0")
    public Book rename(String isbn, String title) {
      return new Book(isbn, title);
    }

    @CacheEvict(cacheNames = "books")
    public void delete(String isbn) {
    }

    /** Every book at once: one INCR of the cache's generation on Redis, never KEYS or FLUSHDB. */
    @CacheEvict(cacheNames = "books", allEntries = true)
    public void deleteAll() {
    }

    public int loads() {
      return loads.get();
    }
  }
}
// docs:end spring
