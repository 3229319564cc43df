/** {@link stampede.caffeine.CaffeineStore}: the {@link stampede.core.CacheStore} port in process, on Caffeine. */
package stampede.caffeine;
