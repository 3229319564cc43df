package stampede.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.List;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import stampede.core.Metrics;
import stampede.micrometer.MicrometerMetrics;
import stampede.spring.StampedeCacheManager;

/**
 * The {@link CacheManager} of an application with {@code @EnableCaching}, from {@code stampede.cache.*}
 * ({@link StampedeCacheProperties}), before Spring Boot's own cache auto-configuration (which then backs off). It
 * backs off itself when the application defines a {@code CacheManager}, or with {@code stampede.cache.enabled=false}.
 * With Micrometer and {@code stampede-micrometer} on the class path and a {@link MeterRegistry} bean, every cache's
 * events are meters of that registry ({@link MicrometerMetrics}, tagged {@code cache=<name>} and
 * {@code cache.manager=stampede}).
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration",
    afterName = {"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(CacheManager.class)
@ConditionalOnBean(CacheAspectSupport.class)
@ConditionalOnMissingBean(CacheManager.class)
@ConditionalOnProperty(prefix = "stampede.cache", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(StampedeCacheProperties.class)
public class StampedeCacheAutoConfiguration {

  /** Each cache's metrics, by cache name. */
  @FunctionalInterface
  public interface CacheMetrics extends Function<String, Metrics> {
  }

  @Bean
  public StampedeCacheManager cacheManager(StampedeCacheProperties properties, ObjectProvider<CacheMetrics> metrics,
      ObjectProvider<StampedeCacheManagerCustomizer> customizers, ApplicationContext context) {
    StampedeCacheManager.Builder builder = StampedeCacheManager.builder().keyPrefix(properties.getKeyPrefix())
        .classLoader(context.getClassLoader()).defaults(properties.getDefaults());
    properties.getCaches().forEach(builder::cache);
    metrics.ifAvailable(builder::metrics);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /** The Micrometer binding, registered with the application's registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({MeterRegistry.class, MicrometerMetrics.class})
  @ConditionalOnBean(MeterRegistry.class)
  static class Meters {

    @Bean
    @ConditionalOnMissingBean
    CacheMetrics stampedeCacheMetrics(MeterRegistry registry) {
      List<Tag> tags = List.of(Tag.of("cache.manager", "stampede"));
      return name -> MicrometerMetrics.builder(registry, name).tags(tags).build();
    }
  }
}
