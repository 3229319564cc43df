package stampede.spring;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one cache, with their defaults; a JavaBean, so Spring Boot binds it from properties
 * ({@code stampede.cache.caches.<name>.*}, see {@link StampedeCacheProperties}).
 */
public class CacheSpec {

  /** The strategy {@code get(key, Callable)} loads through. */
  public enum Strategy {
    /**
     * {@code LayeredStack}: jittered TTL, single flight in front of a Redis lease (one load per key per expiry across
     * nodes), stale-while-revalidate and stale-if-error, over a store guard. Needs {@code redis-uri}.
     */
    LAYERED_STACK,
    /**
     * {@code TwoLevelCoalescing}: single flight in front of a Redis lease; stale serving only if its bounds are set.
     * Needs {@code redis-uri}.
     */
    TWO_LEVEL_COALESCING,
    /** {@code SingleFlight}: one load per key per process; on Redis or in process (Caffeine). */
    SINGLE_FLIGHT
  }

  private @Nullable Strategy strategy;
  private Duration ttl = Duration.ofMinutes(10);
  private double jitter = 0.1;
  private @Nullable Duration staleWhileRevalidate;
  private @Nullable Duration staleIfError;
  private @Nullable String redisUri;
  private Duration redisTimeout = Duration.ofSeconds(1);
  private long maximumSize = 10_000;
  private boolean allowNullValues = true;
  private Duration lease = Duration.ofSeconds(30);
  private Duration maxWait = Duration.ofSeconds(5);
  private Duration generationRecheck = Duration.ZERO;

  /** A copy, to change for one cache without touching the defaults it came from. */
  public CacheSpec copy() {
    CacheSpec c = new CacheSpec();
    c.strategy = strategy;
    c.ttl = ttl;
    c.jitter = jitter;
    c.staleWhileRevalidate = staleWhileRevalidate;
    c.staleIfError = staleIfError;
    c.redisUri = redisUri;
    c.redisTimeout = redisTimeout;
    c.maximumSize = maximumSize;
    c.allowNullValues = allowNullValues;
    c.lease = lease;
    c.maxWait = maxWait;
    c.generationRecheck = generationRecheck;
    return c;
  }

  /** The strategy; default {@code LAYERED_STACK} with a {@code redis-uri}, else {@code SINGLE_FLIGHT}. */
  public Strategy getStrategy() {
    return strategy != null ? strategy : redisUri != null ? Strategy.LAYERED_STACK : Strategy.SINGLE_FLIGHT;
  }

  public CacheSpec setStrategy(@Nullable Strategy strategy) {
    this.strategy = strategy;
    return this;
  }

  /** How long a value stays fresh; default 10 minutes. */
  public Duration getTtl() {
    return ttl;
  }

  public CacheSpec setTtl(Duration ttl) {
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    return this;
  }

  /** TTL jitter as a fraction of the TTL, in [0, 1); default 0.1 (+/-10%). */
  public double getJitter() {
    return jitter;
  }

  public CacheSpec setJitter(double jitter) {
    this.jitter = jitter;
    return this;
  }

  /**
   * How long past expiry a value is still served while one refresh runs (RFC 5861); default one TTL with
   * {@code LAYERED_STACK}, none otherwise.
   */
  public Duration getStaleWhileRevalidate() {
    return staleWhileRevalidate != null ? staleWhileRevalidate
        : getStrategy() == Strategy.LAYERED_STACK ? ttl : Duration.ZERO;
  }

  public CacheSpec setStaleWhileRevalidate(@Nullable Duration staleWhileRevalidate) {
    this.staleWhileRevalidate = staleWhileRevalidate;
    return this;
  }

  /** How long past expiry a value answers a failed load (RFC 5861); default as stale-while-revalidate. */
  public Duration getStaleIfError() {
    return staleIfError != null ? staleIfError
        : getStrategy() == Strategy.LAYERED_STACK ? ttl : Duration.ZERO;
  }

  public CacheSpec setStaleIfError(@Nullable Duration staleIfError) {
    this.staleIfError = staleIfError;
    return this;
  }

  /** The Redis the entries live on, e.g. {@code redis://host:6379}; none (default): in process, on Caffeine. */
  public @Nullable String getRedisUri() {
    return redisUri;
  }

  public CacheSpec setRedisUri(@Nullable String redisUri) {
    this.redisUri = redisUri;
    return this;
  }

  /** The Redis command timeout; default 1 s. */
  public Duration getRedisTimeout() {
    return redisTimeout;
  }

  public CacheSpec setRedisTimeout(Duration redisTimeout) {
    this.redisTimeout = Objects.requireNonNull(redisTimeout, "redisTimeout");
    return this;
  }

  /** The size bound of an in-process cache; default 10,000 entries. */
  public long getMaximumSize() {
    return maximumSize;
  }

  public CacheSpec setMaximumSize(long maximumSize) {
    this.maximumSize = maximumSize;
    return this;
  }

  /** Whether null values are cached (as Spring's {@code NullValue}); default true, as Spring's own caches. */
  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  public CacheSpec setAllowNullValues(boolean allowNullValues) {
    this.allowNullValues = allowNullValues;
    return this;
  }

  /** The Redis lease of a load; default 30 s (renewed while the load runs). */
  public Duration getLease() {
    return lease;
  }

  public CacheSpec setLease(Duration lease) {
    this.lease = Objects.requireNonNull(lease, "lease");
    return this;
  }

  /** How long a caller waits for another node's load; default 5 s. */
  public Duration getMaxWait() {
    return maxWait;
  }

  public CacheSpec setMaxWait(Duration maxWait) {
    this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
    return this;
  }

  /**
   * How long a node uses the cache's generation (see {@link RedisGeneration}) before it reads it again; default 0:
   * read on every call (one more {@code GET}), so another node's clear is seen at once. Above zero, a clear elsewhere
   * is seen within it.
   */
  public Duration getGenerationRecheck() {
    return generationRecheck;
  }

  public CacheSpec setGenerationRecheck(Duration generationRecheck) {
    this.generationRecheck = Objects.requireNonNull(generationRecheck, "generationRecheck");
    return this;
  }
}
