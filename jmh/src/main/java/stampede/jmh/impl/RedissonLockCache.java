package stampede.jmh.impl;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RBucket;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Metrics;
import stampede.jmh.BenchCache;
import stampede.jmh.Database;

/**
 * Peer: what a Java user reaches for when several nodes share Redis and a key must be loaded once, written with
 * Redisson alone. The value is a Redisson {@code RBucket} with a TTL; on a miss the caller takes the key's
 * {@code RLock} (Redisson's reentrant lock: a Lua-scripted hash with a watchdog renewing its lease, waiters told of
 * an unlock through pub/sub), reads the bucket again (the double-check: the previous holder may have written it),
 * and only then loads and writes:
 *
 * <pre>
 *   String v = bucket.get();
 *   if (v == null &amp;&amp; lock.tryLock(2, SECONDS)) {
 *     try { v = bucket.get(); if (v == null) { v = db.load(key); bucket.set(v, ttl); } } finally { lock.unlock(); }
 *   }
 * </pre>
 *
 * A caller that gets no lock within 2 s loads without writing, as {@code DistributedLock}'s default fallback
 * ({@code LOAD_WITHOUT_CACHING}) does, so the two are compared on equal terms. Everything waits for the lock in
 * turn: each waiter takes and releases it to find the value the first holder wrote, one Redis round trip or more
 * each.
 *
 * <p>Each instance is one application node: its own {@link RedissonClient} (a few connections, 2 Netty threads),
 * closed by {@link #close()}. Keys are {@code prefix + key} for the value and {@code prefix + "lock:" + key} for the
 * lock. Events are counted as a strategy counts them (HIT, MISS, LOAD_STARTED, LOAD_SUCCEEDED, LOAD_FAILED,
 * LOCK_ACQUIRED, LOCK_FALLBACK).
 */
public final class RedissonLockCache implements BenchCache, AutoCloseable {
  private final RedissonClient redisson;
  private final Database db;
  private final Metrics metrics;
  private final Duration ttl;
  private final String prefix;

  /** A node on the Redis at {@code redisUri} ({@code redis://host:port}). */
  public RedissonLockCache(String redisUri, String prefix, Database db, Metrics metrics, Duration ttl) {
    this(List.of(redisUri), false, prefix, db, metrics, ttl);
  }

  /** A node on the Redis Cluster whose nodes include {@code clusterUris} ({@code redis://host:port} each). */
  public static RedissonLockCache onCluster(List<String> clusterUris, String prefix, Database db, Metrics metrics,
      Duration ttl) {
    return new RedissonLockCache(clusterUris, true, prefix, db, metrics, ttl);
  }

  private RedissonLockCache(List<String> uris, boolean cluster, String prefix, Database db, Metrics metrics,
      Duration ttl) {
    this.db = Objects.requireNonNull(db, "db");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    Config config = new Config();
    config.setCodec(StringCodec.INSTANCE).setNettyThreads(2).setThreads(2);
    if (cluster) {
      config.useClusterServers().addNodeAddress(uris.toArray(new String[0])).setMasterConnectionPoolSize(16)
          .setMasterConnectionMinimumIdleSize(2).setSlaveConnectionMinimumIdleSize(1)
          .setSubscriptionConnectionPoolSize(4).setSubscriptionConnectionMinimumIdleSize(1).setTimeout(2000)
          .setConnectTimeout(2000);
    } else {
      config.useSingleServer().setAddress(uris.get(0)).setConnectionPoolSize(16).setConnectionMinimumIdleSize(2)
          .setSubscriptionConnectionPoolSize(4).setSubscriptionConnectionMinimumIdleSize(1).setTimeout(2000)
          .setConnectTimeout(2000);
    }
    this.redisson = Redisson.create(config);
  }

  @Override
  public String get(String key) {
    RBucket<String> bucket = redisson.getBucket(prefix + key, StringCodec.INSTANCE);
    String value = bucket.get();
    if (value != null) {
      metrics.record(Event.HIT, key);
      return value;
    }
    metrics.record(Event.MISS, key);
    RLock lock = redisson.getLock(prefix + "lock:" + key);
    boolean locked;
    try {
      locked = lock.tryLock(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadException(key, "interrupted while waiting for the lock", e);
    }
    if (!locked) {
      metrics.record(Event.LOCK_FALLBACK, key);
      return load(key); // not written: without the lock this caller may not be the only one loading
    }
    metrics.record(Event.LOCK_ACQUIRED, key);
    try {
      value = bucket.get(); // the double-check
      if (value != null) {
        return value;
      }
      value = load(key);
      bucket.set(value, ttl);
      return value;
    } finally {
      lock.unlock();
    }
  }

  private String load(String key) {
    metrics.record(Event.LOAD_STARTED, key);
    long start = System.nanoTime();
    try {
      String value = db.load(key);
      metrics.record(Event.LOAD_SUCCEEDED, key, System.nanoTime() - start);
      return value;
    } catch (Exception e) {
      metrics.record(Event.LOAD_FAILED, key, System.nanoTime() - start);
      throw LoadException.wrap(key, e);
    }
  }

  @Override
  public void invalidate(String key) {
    redisson.getBucket(prefix + key, StringCodec.INSTANCE).delete();
  }

  @Override
  public void close() {
    redisson.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
