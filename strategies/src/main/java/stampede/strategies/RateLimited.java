package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * A per-client rate limit on loads: each client (per {@code currentClient}) may start {@code burst} loads at
 * once and {@code loadsPerSecond} on average after that; hits are never limited.
 *
 * <p><b>Prevents:</b> one client driving the source of truth with misses (a scraper walking cold keys, random
 * keys, a retry loop): over its limit it gets {@link RejectedException} ("too many requests",
 * {@link Event#REJECTED}) and nothing is loaded or cached. It does not stop many clients on one key.
 *
 * <p><b>Pick it when</b> misses are expensive, clients are identifiable (API key, tenant, user) and a fair
 * share per client matters more than serving every miss.
 *
 * <p><b>Costs:</b> a token bucket per client on the ticker, updated under its lock on each miss (a null client
 * is one shared anonymous client). From 10,000 buckets on, full buckets are dropped when a new client arrives
 * (the threshold doubles if most are in use): memory follows the active clients, and a client pruned at that
 * moment may get one extra load.
 *
 * <p><b>Source:</b> the token bucket (Guava's {@code RateLimiter}, Bucket4j); HTTP 429 (RFC 6585).
 *
 * <p>Composition: {@code RateLimited(SingleFlight(StoreFill(Loader)))} charges every caller that misses,
 * {@code SingleFlight(RateLimited(StoreFill(Loader)))} only the one that loads. As a {@link Fill} it limits
 * any load path, e.g. a refresh.
 */
public final class RateLimited<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  private static final int PRUNE_AT = 10_000;
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final Supplier<?> currentClient;
  private final int burst;
  private final double nanosPerLoad;
  private final Object anonymous = new Object();
  private final ConcurrentHashMap<Object, Bucket> buckets = new ConcurrentHashMap<>();
  private volatile int pruneAt = PRUNE_AT;

  /**
   * @param currentClient  who is calling (e.g. a tenant id from the request context); read on each miss
   * @param burst          loads a client may start at once, at least 1
   * @param loadsPerSecond the sustained rate per client, positive
   */
  public RateLimited(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Fill<K, V> fill,
      Supplier<?> currentClient, int burst, double loadsPerSecond) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.currentClient = Objects.requireNonNull(currentClient, "currentClient");
    if (burst < 1 || !(loadsPerSecond > 0) || Double.isInfinite(loadsPerSecond)) {
      throw new IllegalArgumentException("need burst >= 1 and a positive finite rate: " + burst + ", "
          + loadsPerSecond);
    }
    this.burst = burst;
    this.nanosPerLoad = 1e9 / loadsPerSecond;
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public RateLimited(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl,
      Supplier<?> currentClient, int burst, double loadsPerSecond) {
    this(store, ticker, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)), currentClient, burst,
        loadsPerSecond);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Entry<V> entry = store.getOrMiss(key, metrics);
    if (entry != null && entry.isFresh(ticker.read())) {
      metrics.record(Event.HIT, key);
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    return fill(key, entry, 0, loader);
  }

  /** Takes a token from the current client's bucket and loads, or throws {@link RejectedException}. */
  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    Object client = Objects.requireNonNullElse(currentClient.get(), anonymous);
    long now = ticker.read();
    if (!bucket(client, now).tryTake(now)) {
      metrics.record(Event.REJECTED, key);
      throw new RejectedException(key, "too many requests");
    }
    return fill.fill(key, seen, fence, loader);
  }

  /** Number of clients with a bucket (for tests and monitoring). */
  public int clients() {
    return buckets.size();
  }

  private Bucket bucket(Object client, long now) {
    Bucket b = buckets.get(client);
    if (b != null) {
      return b;
    }
    if (buckets.size() >= pruneAt) {
      synchronized (buckets) { // one prune at a time
        if (buckets.size() >= pruneAt) {
          buckets.values().removeIf(full -> full.isFull(now)); // a full bucket is the same as a new one
          pruneAt = Math.max(PRUNE_AT, 2 * buckets.size());
        }
      }
    }
    return buckets.computeIfAbsent(client, c -> new Bucket(now));
  }

  /** A token bucket: {@code burst} tokens at most, one more every {@code nanosPerLoad} of ticker time. */
  private final class Bucket {
    private double tokens = burst;
    private long last;

    Bucket(long now) {
      last = now;
    }

    synchronized boolean tryTake(long now) {
      if (refill(now) < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    synchronized boolean isFull(long now) {
      return refill(now) >= burst;
    }

    private double refill(long now) {
      if (now > last) {
        tokens = Math.min(burst, tokens + (now - last) / nanosPerLoad);
        last = now;
      }
      return tokens;
    }
  }
}
