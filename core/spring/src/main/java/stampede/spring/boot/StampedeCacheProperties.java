package stampede.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import stampede.spring.CacheSpec;

/**
 * {@code stampede.cache.*}: the caches of the auto-configured {@link stampede.spring.StampedeCacheManager}, one
 * {@link CacheSpec} per cache name ({@code stampede.cache.caches.<name>.ttl=5m}, {@code ...redis-uri=redis://...},
 * {@code ...strategy=layered-stack}, ...), and {@code defaults} for names not listed (none: an unknown name has no
 * cache).
 */
@ConfigurationProperties("stampede.cache")
public class StampedeCacheProperties {
  private boolean enabled = true;
  private String keyPrefix = "stampede:";
  private Map<String, CacheSpec> caches = new LinkedHashMap<>();
  private @Nullable CacheSpec defaults;

  /** Whether the stampede cache manager is auto-configured; default true. */
  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** The start of every Redis name; default {@code stampede:}. */
  public String getKeyPrefix() {
    return keyPrefix;
  }

  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
  }

  /** The caches, by name. */
  public Map<String, CacheSpec> getCaches() {
    return caches;
  }

  public void setCaches(Map<String, CacheSpec> caches) {
    this.caches = caches;
  }

  /** The settings of caches whose names are not listed, built on first use; default none. */
  public @Nullable CacheSpec getDefaults() {
    return defaults;
  }

  public void setDefaults(@Nullable CacheSpec defaults) {
    this.defaults = defaults;
  }
}
