package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.Nullable;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.Ticker;

/**
 * Priority load shedding, a {@link Fill}: loads carry a {@link Priority}; each class is guaranteed a share of the load
 * slots, what it leaves unused is lent, and under overload the lowest classes are refused first, with a fast
 * {@link RejectedException} ("load shed"; the read path's {@code staleIfError} turns it into a bounded-stale value
 * where it has one). The slots are a fixed {@code limit}, or an {@link AdaptiveLimit} that follows the database's
 * latency under a ceiling. {@link PrioritySlots} states the admission rule.
 *
 * <pre>
 *   PriorityShedder&lt;String, Page&gt; shedder = PriorityShedder.builder(storeFill)
 *       .adaptive(AdaptiveLimit.builder(20).build()).shares(10, 60, 10)
 *       .classifier(key -&gt; key.startsWith("checkout:") ? Priority.CRITICAL : Priority.DEFAULT).build();
 *   CacheAside.builder(store, shedder).staleIfError(Duration.ofMinutes(5))
 *       .policy(swr, PriorityShedder.asBackground(refreshPool)).build();
 * </pre>
 *
 * <p><b>Prevents:</b> the overload that sheds a checkout and a batch job alike ({@link LoadShedder} has one pool): a
 * load within its class's guarantee is admitted at once whatever the lower classes hold, and a background refresh
 * ({@link #asBackground}: the lowest class) never takes a slot a user load is promised.
 *
 * <p><b>Pick it when</b> the traffic has classes of unequal worth and the database a known pool (the ceiling). Put a
 * {@link SingleFlight} above it so a hot key takes one slot (a waiter then shares the loader's class).
 *
 * <p><b>Costs:</b> a lock section per load to take and give back a slot, plus the adaptive limit's per load, never
 * per hit; a classifier call per load; a higher class's unused guarantee is held free, not lent down. A caller
 * waits at most its class's {@code maxQueueWait} (defaults: CRITICAL 100 ms, DEFAULT 10 ms, BULK 0), so no queue is
 * unbounded; {@link Event#LOAD_SHED} per refused load. The class comes from {@link #as} on the calling thread if set,
 * else the classifier (default: every key DEFAULT). A slot is given back in {@code finally}, whatever the loader did.
 * A caller interrupted while it waits gets an {@link InterruptedLoadException} and takes no slot; an interrupted
 * load is no latency sample. The bound is per process.
 *
 * <p><b>Source:</b> Beyer et al., "Site Reliability Engineering" (O'Reilly 2016), chapter 21, "Handling Overload"
 * (criticality classes, shed the least critical first); Netflix {@code concurrency-limits},
 * {@code AbstractPartitionedLimiter.java} (a share of one limit per partition, idle shares lent).
 *
 * <p><b>Copy with it:</b> AdaptiveLimit.java, CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * Nullable.java, PrioritySlots.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java,
 * Ttl.java.
 */
public final class PriorityShedder<K, V> implements Fill<K, V> {
  /** Classes of loads, the highest first. */
  public enum Priority { CRITICAL, DEFAULT, BULK }

  private static final ThreadLocal<Priority> CURRENT = new ThreadLocal<>();
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final Ticker ticker;
  private final Function<? super K, Priority> classifier;
  private final long[] maxQueueWaitNanos;
  private final PrioritySlots slots;
  private final @Nullable AdaptiveLimit adaptive; // null: a fixed limit

  private PriorityShedder(Builder<K, V> b) {
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.classifier = b.classifier;
    this.maxQueueWaitNanos = b.maxQueueWaitNanos.clone();
    this.adaptive = b.adaptive;
    this.slots = new PrioritySlots(b.shares, adaptive == null ? b.limit : adaptive.limit());
  }

  /** A shedder over {@code fill} (e.g. a {@code StoreFill}). */
  public static <K, V> Builder<K, V> builder(Fill<K, V> fill) {
    return new Builder<>(fill);
  }

  /** Runs {@code call} with its loads in class {@code priority}, whatever the classifier says (request context). */
  public static <T> T as(Priority priority, Supplier<T> call) {
    Objects.requireNonNull(priority, "priority");
    Priority before = CURRENT.get();
    CURRENT.set(priority);
    try {
      return call.get();
    } finally {
      CURRENT.set(before);
    }
  }

  /** An executor running every task's loads as {@link Priority#BULK}: give it to a refreshing read path. */
  public static Executor asBackground(Executor refresher) {
    Objects.requireNonNull(refresher, "refresher");
    return task -> refresher.execute(() -> as(Priority.BULK, () -> {
      task.run();
      return null;
    }));
  }

  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Priority set = CURRENT.get();
    Priority priority = set != null ? set : Objects.requireNonNull(classifier.apply(key), "classifier's priority");
    int c = priority.ordinal();
    try {
      if (!slots.acquire(c, maxQueueWaitNanos[c])) {
        metrics.record(Event.LOAD_SHED, key);
        throw new RejectedException(key, "load shed");
      }
    } catch (InterruptedException e) {
      throw InterruptedLoadException.of(key, "while waiting for a " + priority + " load slot", e);
    }
    int inFlight = slots.inUse();
    long start = ticker.read();
    boolean sample = false;
    try {
      V value = fill.fill(key, seen, fence, loader);
      sample = true;
      return value;
    } catch (RuntimeException e) { // an inner refusal did not ask the database; a cancellation says nothing of it
      sample = !(e instanceof RejectedException) && !InterruptedLoadException.isInterrupt(e);
      throw e;
    } finally {
      slots.release(c);
      if (adaptive != null && sample) {
        slots.limit(adaptive.sample(ticker.read() - start, inFlight));
      }
    }
  }

  /** Loads running now (for tests and monitoring). */
  public int loadsInFlight() {
    return slots.inUse();
  }

  /** Loads of {@code priority} running now (for tests and monitoring). */
  public int loadsInFlight(Priority priority) {
    return slots.inUse(priority.ordinal());
  }

  /** The load slots now: the fixed limit, or where the adaptive limit stands. */
  public int limit() {
    return slots.limit();
  }

  /** Settings of a {@link PriorityShedder}, with their defaults. */
  public static final class Builder<K, V> {
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private Function<? super K, Priority> classifier = key -> Priority.DEFAULT;
    private int[] shares = {10, 60, 10};
    private long[] maxQueueWaitNanos = {100_000_000L, 10_000_000L, 0};
    private int limit = 10;
    private @Nullable AdaptiveLimit adaptive;

    private Builder(Fill<K, V> fill) {
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** A fixed number of loads at once, at least 1 (the database's pool size); default 10. */
    public Builder<K, V> limit(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("limit must be at least 1: " + limit);
      }
      this.limit = limit;
      this.adaptive = null;
      return this;
    }

    /** Instead of a fixed limit, one that follows the database's latency (under its ceiling). */
    public Builder<K, V> adaptive(AdaptiveLimit adaptive) {
      this.adaptive = Objects.requireNonNull(adaptive, "adaptive");
      return this;
    }

    /** Guaranteed shares in percent of the limit, adding up to at most 100; default 10, 60, 10 (20 unreserved). */
    public Builder<K, V> shares(int critical, int dflt, int bulk) {
      int[] s = {critical, dflt, bulk};
      for (Priority p : Priority.values()) {
        if (s[p.ordinal()] < 0 || s[p.ordinal()] > 100) {
          throw new IllegalArgumentException("share of " + p + " must be between 0% and 100%: " + s[p.ordinal()] + "%");
        }
      }
      if (critical + dflt + bulk > 100) {
        throw new IllegalArgumentException("shares must add up to at most 100%: CRITICAL " + critical + "% + DEFAULT "
            + dflt + "% + BULK " + bulk + "% = " + (critical + dflt + bulk) + "%");
      }
      this.shares = s;
      return this;
    }

    /** How long a load of {@code priority} may wait for a slot before it is shed, at least 0 (never waits). */
    public Builder<K, V> maxQueueWait(Priority priority, Duration maxQueueWait) {
      if (maxQueueWait.isNegative() || maxQueueWait.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("maxQueueWait of " + priority + " must be between 0 and 1 hour: "
            + maxQueueWait);
      }
      this.maxQueueWaitNanos[priority.ordinal()] = maxQueueWait.toNanos();
      return this;
    }

    /** The class of a key's load when no {@link #as} is set; default every key {@link Priority#DEFAULT}. */
    public Builder<K, V> classifier(Function<? super K, Priority> classifier) {
      this.classifier = Objects.requireNonNull(classifier, "classifier");
      return this;
    }

    /** Receives {@link Event#LOAD_SHED}; default {@link Metrics#none()}. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Times the loads for the adaptive limit, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public PriorityShedder<K, V> build() {
      return new PriorityShedder<>(this);
    }
  }
}
