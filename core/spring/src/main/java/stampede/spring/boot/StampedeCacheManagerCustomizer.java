package stampede.spring.boot;

import stampede.spring.StampedeCacheManager;

/**
 * Changes the auto-configured {@link StampedeCacheManager} before it is built: a value codec with a deserialization
 * filter, more caches, other metrics. Every bean of this type is applied, in order.
 */
@FunctionalInterface
public interface StampedeCacheManagerCustomizer {
  void customize(StampedeCacheManager.Builder builder);
}
