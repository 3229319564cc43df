package stampede.spring;

import java.util.Objects;

/**
 * What a {@link StampedeCache} hands its store and strategy: Spring's cache key within one generation of the cache.
 * {@link StampedeCache#clear()} moves the cache to the next generation, so every key of the previous one is out of
 * reach at once, without enumerating them (see {@link Generation}).
 *
 * @param generation the cache's generation when the key was read or written
 * @param key        Spring's key: the method's argument, a {@code SimpleKey}, or what a SpEL {@code key} gave
 */
public record CacheKey(long generation, Object key) {

  public CacheKey {
    Objects.requireNonNull(key, "key");
  }

  @Override
  public String toString() {
    return key + "@" + generation;
  }
}
