package stampede.strategies;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.RejectedException;
import stampede.core.Ticker;

/**
 * A per-client rate limit on loads, a {@link Fill}: each client (per {@code currentClient}) may start {@code burst}
 * loads at once and {@code loadsPerSecond} on average after that; hits never reach it.
 *
 * <p><b>Prevents:</b> one client driving the source of truth with misses (a scraper walking cold keys, random keys,
 * a retry loop): over its limit it gets {@link RejectedException} ("too many requests", {@link Event#RATE_LIMITED}) and
 * nothing is loaded or cached. It does not stop many clients on one key.
 *
 * <p><b>Pick it when</b> misses are expensive, clients are identifiable (API key, tenant, user) and a fair share per
 * client matters more than serving every miss. Above a {@link SingleFlight} it charges every caller that misses;
 * below it, only the one that loads.
 *
 * <p><b>Costs:</b> a token bucket per client on a monotonic {@link Ticker}, updated under its lock on each load (a
 * null client is one shared anonymous client). Should the clock step anyway, back it costs nothing, forward at most
 * the burst. From 10,000 buckets on, full buckets are dropped when a new client
 * arrives (the threshold doubles if most are in use): memory follows the active clients, and a full bucket is the
 * same as a new one, so a client gets no more loads for being pruned (a caller holding the dropped bucket takes from
 * the new one).
 *
 * <p><b>Source:</b> the token bucket (Guava's {@code RateLimiter}, Bucket4j); HTTP 429 "Too Many Requests" (RFC
 * 6585, section 4).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class RateLimited<K, V> implements Fill<K, V> {
  private static final int PRUNE_AT = 10_000;
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final Ticker ticker;
  private final Supplier<?> currentClient;
  private final int burst;
  private final double nanosPerLoad;
  private final Object anonymous = new Object();
  private final ConcurrentHashMap<Object, Bucket> buckets = new ConcurrentHashMap<>();
  private volatile int pruneAt = PRUNE_AT;

  private RateLimited(Builder<K, V> b) {
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.currentClient = b.currentClient;
    this.burst = b.burst;
    this.nanosPerLoad = 1e9 / b.loadsPerSecond;
  }

  /**
   * Limits the loads of {@code fill} per client; {@code currentClient} says who is calling (e.g. a tenant id from
   * the request context) and is read on each load.
   */
  public static <K, V> Builder<K, V> builder(Fill<K, V> fill, Supplier<?> currentClient) {
    return new Builder<>(fill, currentClient);
  }

  /** Takes a token from the current client's bucket and loads, or throws {@link RejectedException}. */
  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Object client = Objects.requireNonNullElse(currentClient.get(), anonymous);
    Bucket b = bucket(client);
    Boolean taken = b.tryTake();
    while (taken == null) {
      buckets.remove(client, b); // pruned while this caller held it: its token comes from the client's new bucket
      b = bucket(client);
      taken = b.tryTake();
    }
    if (!taken) {
      metrics.record(Event.RATE_LIMITED, key);
      throw new RejectedException(key, "too many requests");
    }
    return fill.fill(key, seen, fence, loader);
  }

  /** Number of clients with a bucket (for tests and monitoring). */
  public int clients() {
    return buckets.size();
  }

  private Bucket bucket(Object client) {
    Bucket b = buckets.get(client);
    if (b != null) {
      return b;
    }
    if (buckets.size() >= pruneAt) {
      synchronized (buckets) { // one prune at a time
        if (buckets.size() >= pruneAt) {
          buckets.values().removeIf(Bucket::dropIfFull); // a full bucket is the same as a new one
          pruneAt = Math.max(PRUNE_AT, 2 * buckets.size());
        }
      }
    }
    return buckets.computeIfAbsent(client, c -> new Bucket());
  }

  /**
   * A token bucket: {@code burst} tokens at most, one more every {@code nanosPerLoad} of ticker time. The ticker is
   * read under its lock, so no update works from a reading older than the last one.
   */
  private final class Bucket {
    private double tokens = burst;
    private long last = ticker.read();
    private boolean dropped; // pruned: a caller that still holds it takes from the client's new bucket

    /** True if a token was taken, false if none is left, null if the bucket was pruned. */
    synchronized @Nullable Boolean tryTake() {
      if (dropped) {
        return null;
      }
      if (refill(ticker.read()) < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    synchronized boolean dropIfFull() {
      dropped = refill(ticker.read()) >= burst;
      return dropped;
    }

    private double refill(long now) {
      if (now > last) {
        tokens = Math.min(burst, tokens + (now - last) / nanosPerLoad);
      }
      last = now; // a clock that stepped back restarts the refill here, rather than stopping it until it catches up
      return tokens;
    }
  }

  /** Settings of a {@link RateLimited}, with their defaults. */
  public static final class Builder<K, V> {
    private final Fill<K, V> fill;
    private final Supplier<?> currentClient;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private int burst = 10;
    private double loadsPerSecond = 10;

    private Builder(Fill<K, V> fill, Supplier<?> currentClient) {
      this.fill = Objects.requireNonNull(fill, "fill");
      this.currentClient = Objects.requireNonNull(currentClient, "currentClient");
    }

    /** Receives {@link Event#RATE_LIMITED}; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of the buckets, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Loads a client may start at once (at least 1), and its sustained rate (positive); default 10 and 10/s. */
    public Builder<K, V> limit(int burst, double loadsPerSecond) {
      if (burst < 1) {
        throw new IllegalArgumentException("burst must be at least 1: " + burst);
      }
      if (!(loadsPerSecond > 0) || Double.isInfinite(loadsPerSecond)) {
        throw new IllegalArgumentException("loadsPerSecond must be positive and finite: " + loadsPerSecond);
      }
      this.burst = burst;
      this.loadsPerSecond = loadsPerSecond;
      return this;
    }

    public RateLimited<K, V> build() {
      return new RateLimited<>(this);
    }
  }
}
