package stampede.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import stampede.core.Alerts;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Nullable;

/**
 * {@link Metrics} on Micrometer: every {@link Event} lands on a meter tagged {@code cache=<name>}, so a service's
 * existing dashboards and alerting (Prometheus, Datadog, ... through a {@link MeterRegistry}) show what the cache
 * strategies do. Where the meaning is the one of Micrometer's own cache binders ({@code CacheMeterBinder},
 * {@code CaffeineStatsCounter}), the name and tags are theirs:
 *
 * <pre>
 *   cache.gets{result=hit|miss}           counter  HIT, MISS
 *   cache.puts                            counter  ENTRY_WRITTEN (a loaded entry written to the store)
 *   cache.loads{result=success|failure}   timer    LOAD_SUCCEEDED, LOAD_FAILED, with the load's duration
 *   stampede.loads.in.flight              gauge    LOAD_STARTED minus LOAD_SUCCEEDED and LOAD_FAILED
 *   stampede.loads.coalesced              counter  LOAD_COALESCED (a caller waited for a load in flight)
 *   stampede.loads.rejected{reason=rate_limited|load_shed|circuit_open}
 *                                         counter  RATE_LIMITED, LOAD_SHED, CIRCUIT_OPEN
 *   stampede.waits.timed.out              counter  WAIT_TIMED_OUT
 *   stampede.stale.served                 counter  STALE_SERVED
 *   stampede.refreshes.started            counter  REFRESH_STARTED
 *   stampede.refreshes.failed             counter  REFRESH_FAILED
 *   stampede.refreshes.rejected           counter  REFRESH_REJECTED
 *   stampede.locks.acquired               counter  LOCK_ACQUIRED
 *   stampede.locks.waited                 counter  LOCK_WAITED
 *   stampede.locks.fallbacks              counter  LOCK_FALLBACK
 *   stampede.store.errors                 counter  STORE_ERROR
 *   stampede.writes.fenced                counter  FENCED_WRITE
 *   stampede.hot.keys                     counter  HOT_KEY (a key turned hot)
 *   stampede.miss.storms                  counter  MISS_STORM (a key started a storm)
 * </pre>
 *
 * {@link #bindAlerts} adds the three alerts of an {@link Alerts} (the {@code Monitoring} strategy) as gauges.
 *
 * <p>Keys never become tags (one time series per key would be unbounded): hot keys and miss storms are counts here;
 * which keys they are is a bounded top-N to read in the process ({@code Monitoring.topStorms},
 * {@code HotKeyProtection.hottest}). {@code cache.evictions} and {@code cache.size} are absent: evictions and size
 * are the store's (Caffeine's size bound, Redis's {@code maxmemory}), not events a strategy sees; bind the store's
 * own metrics for them (e.g. Micrometer's {@code CaffeineCacheMetrics}, under another cache name: one id cannot
 * hold two meters).
 *
 * <p>Every meter is registered once, when built; recording an event is an array read and a counter increment, with
 * no lookup or allocation, so it may sit on the hit path. A load reported without a duration (the two-argument
 * {@code record}) is timed as 0 so that {@code cache.loads} still counts it. Thread-safe.
 */
// EnumOrdinal: one counter per event in an array indexed by ordinal (sized from Event.values()), looked up on every
// event without a map
@SuppressWarnings("EnumOrdinal")
public final class MicrometerMetrics implements Metrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private final Counter[] counters = new Counter[Event.values().length];
  private final Timer loadSuccesses;
  private final Timer loadFailures;
  private final LongAdder inFlight = new LongAdder();

  private MicrometerMetrics(Builder b) {
    this.registry = b.registry;
    this.tags = Tags.of(b.tags).and("cache", b.cacheName);
    for (Event event : Event.values()) {
      String[] meter = counterOf(event);
      if (meter != null) {
        Counter.Builder counter = Counter.builder(meter[0]).description(meter[1]).tags(tags);
        counters[event.ordinal()] = (meter.length == 4 ? counter.tag(meter[2], meter[3]) : counter).register(registry);
      }
    }
    String loads = "Loads of a value from the source of truth, timed: succeeded or failed (threw or returned null)";
    this.loadSuccesses = Timer.builder("cache.loads").description(loads).tags(tags).tag("result", "success")
        .register(registry);
    this.loadFailures = Timer.builder("cache.loads").description(loads).tags(tags).tag("result", "failure")
        .register(registry);
    Gauge.builder("stampede.loads.in.flight", inFlight, LongAdder::sum).tags(tags).strongReference(true)
        .description("Loads started and not yet ended: the database connections the cache's loads hold")
        .register(registry);
  }

  /** Meters of the events of the cache {@code cacheName} (the {@code cache} tag) in {@code registry}. */
  public static Builder builder(MeterRegistry registry, String cacheName) {
    return new Builder(registry, cacheName);
  }

  @Override
  public void record(Event event, Object key) {
    Counter counter = counters[event.ordinal()];
    if (counter != null) {
      counter.increment();
    } else if (event == Event.LOAD_STARTED) {
      inFlight.increment();
    } else {
      loadEnded(event, 0);
    }
  }

  @Override
  public void record(Event event, Object key, long nanos) {
    if (event == Event.LOAD_SUCCEEDED || event == Event.LOAD_FAILED) {
      loadEnded(event, nanos);
    } else {
      record(event, key);
    }
  }

  /** Loads started and not yet ended, as the {@code stampede.loads.in.flight} gauge reads it. */
  public long loadsInFlight() {
    return inFlight.sum();
  }

  /**
   * Exports {@code alerts} (e.g. a {@code Monitoring} that forwards its events to this binding) as gauges with this
   * binding's tags: {@code stampede.alert{alert=hit_ratio_low|miss_storm|pool_exhausted}} (1 while firing, else 0),
   * {@code stampede.hit.ratio} (over the last complete window; NaN if it had no requests),
   * {@code stampede.miss.storm.keys} (keys storming now) and {@code stampede.db.pool.size} (configured, 0 if none).
   * Loads in flight are this binding's {@code stampede.loads.in.flight}. The gauges hold {@code alerts} strongly.
   *
   * @return this
   */
  public MicrometerMetrics bindAlerts(Alerts alerts) {
    Objects.requireNonNull(alerts, "alerts");
    String alert = "1 while the alert fires: hit ratio low, a miss storm, loads filling the database pool";
    gauge("stampede.alert", "hit_ratio_low", alert, alerts, a -> a.hitRatioLow() ? 1 : 0);
    gauge("stampede.alert", "miss_storm", alert, alerts, a -> a.missStorm() ? 1 : 0);
    gauge("stampede.alert", "pool_exhausted", alert, alerts, a -> a.poolExhausted() ? 1 : 0);
    gauge("stampede.hit.ratio", null, "Hits / (hits + misses) over the last complete window", alerts,
        Alerts::windowHitRatio);
    gauge("stampede.miss.storm.keys", null, "Keys with a miss storm in this window or the last", alerts,
        Alerts::stormingKeys);
    gauge("stampede.db.pool.size", null, "Size of the database connection pool the loads use (0: not set)", alerts,
        Alerts::poolSize);
    return this;
  }

  private void gauge(String name, @Nullable String alert, String description, Alerts alerts,
      ToDoubleFunction<Alerts> value) {
    Gauge.Builder<Alerts> gauge = Gauge.builder(name, alerts, value).description(description).tags(tags)
        .strongReference(true);
    (alert == null ? gauge : gauge.tag("alert", alert)).register(registry);
  }

  private void loadEnded(Event event, long nanos) {
    inFlight.decrement();
    (event == Event.LOAD_SUCCEEDED ? loadSuccesses : loadFailures).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /**
   * The counter of {@code event}: name, description, then tag key and value if any; null for the load events,
   * which have the timer and the gauge. A switch over every event, so a new event does not compile without a meter.
   */
  private static String @Nullable [] counterOf(Event event) {
    String gets = "Lookups that returned a fresh cached value (hit) or went down the miss path (miss)";
    String rejected = "Loads a protection refused, by reason";
    return switch (event) {
      case LOAD_STARTED, LOAD_SUCCEEDED, LOAD_FAILED -> null;
      case HIT -> new String[] {"cache.gets", gets, "result", "hit"};
      case MISS -> new String[] {"cache.gets", gets, "result", "miss"};
      case ENTRY_WRITTEN -> new String[] {"cache.puts", "Entries written to the store after a load"};
      case LOAD_COALESCED -> new String[] {"stampede.loads.coalesced", "Callers that waited for a load in flight"};
      case RATE_LIMITED -> new String[] {"stampede.loads.rejected", rejected, "reason", "rate_limited"};
      case LOAD_SHED -> new String[] {"stampede.loads.rejected", rejected, "reason", "load_shed"};
      case CIRCUIT_OPEN -> new String[] {"stampede.loads.rejected", rejected, "reason", "circuit_open"};
      case WAIT_TIMED_OUT -> new String[] {"stampede.waits.timed.out", "Callers that stopped waiting for a load"};
      case STALE_SERVED -> new String[] {"stampede.stale.served", "Stale values served"};
      case REFRESH_STARTED -> new String[] {"stampede.refreshes.started", "Background refreshes started"};
      case REFRESH_FAILED -> new String[] {"stampede.refreshes.failed", "Background refreshes failed"};
      case REFRESH_REJECTED -> new String[] {"stampede.refreshes.rejected", "Background refreshes refused"};
      case LOCK_ACQUIRED -> new String[] {"stampede.locks.acquired", "Distributed locks acquired for a load"};
      case LOCK_WAITED -> new String[] {"stampede.locks.waited", "Callers that waited for a distributed lock"};
      case LOCK_FALLBACK -> new String[] {"stampede.locks.fallbacks", "Callers that got no lock and fell back"};
      case STORE_ERROR -> new String[] {"stampede.store.errors", "Store failures and corrupt entries"};
      case FENCED_WRITE -> new String[] {"stampede.writes.fenced", "Writes refused because a newer fence wrote"};
      case HOT_KEY -> new String[] {"stampede.hot.keys", "Keys that turned hot"};
      case MISS_STORM -> new String[] {"stampede.miss.storms", "Miss storms: a key took many misses in a window"};
    };
  }

  /** Settings of a {@link MicrometerMetrics}: the registry, the cache name and, by default, no other tags. */
  public static final class Builder {
    private final MeterRegistry registry;
    private final String cacheName;
    private Iterable<Tag> tags = Tags.empty();

    private Builder(MeterRegistry registry, String cacheName) {
      this.registry = Objects.requireNonNull(registry, "registry");
      this.cacheName = Objects.requireNonNull(cacheName, "cacheName");
    }

    /** Tags added to every meter (bounded values only: never a key); default none. */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Objects.requireNonNull(tags, "tags");
      return this;
    }

    /** Registers every meter; from then on recording costs no registry lookup. */
    public MicrometerMetrics build() {
      return new MicrometerMetrics(this);
    }
  }
}
