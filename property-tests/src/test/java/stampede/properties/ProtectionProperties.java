package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.CircuitBreaker;
import stampede.strategies.LoadShedder;
import stampede.strategies.RateLimited;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The protections keep their limits: rate limiter, circuit breaker, load shedder. Each is a fill under the read
 * path, {@code CacheAside(protection(StoreFill))}; the breaker and the shedder under a read path whose
 * {@code staleIfError} is zero (only a just-expired entry may answer a refused load), as their old
 * {@code serveStaleFor} of zero was.
 */
class ProtectionProperties {
  private static final Duration TTL = Duration.ofSeconds(60);

  private static StoreFill<String, String> storeFill(CacheStore<String, String> store, Metrics metrics) {
    return new StoreFill<>(store, metrics, Ttl.fixed(TTL));
  }

  /** The read path over a protection, refused loads answered with a stale entry only if it has just expired. */
  private static LoadingStrategy<String, String> readPath(CacheStore<String, String> store, Fill<String, String> fill,
      Metrics metrics) {
    return CacheAside.builder(store, fill).metrics(metrics).staleIfError(Duration.ZERO).build();
  }

  /**
   * Per client, loads admitted by time t never exceed burst + rate x (t - first call), and a client whose bucket
   * has had time to refill completely is admitted. Rejected calls load and cache nothing, and each records
   * RATE_LIMITED.
   */
  @Property(tries = 40)
  void rateLimiterKeepsItsLimit(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 5) int burst,
      @ForAll @IntRange(min = 1, max = 50) int perSecond,
      @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 400) Integer> advanceMillis,
      @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 2) Integer> clients) {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    AtomicReference<String> client = new AtomicReference<>();
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadingStrategy<String, String> limited = readPath(f.store, RateLimited.builder(storeFill(f.store, counters),
          client::get).metrics(counters).ticker(ticker).limit(burst, perSecond).build(), counters);
      double nanosPerLoad = 1e9 / perSecond;
      Map<String, Long> first = new HashMap<>();
      Map<String, Long> last = new HashMap<>();
      Map<String, Integer> admitted = new HashMap<>();
      AtomicInteger loads = new AtomicInteger();
      int rejected = 0;
      for (int i = 0; i < advanceMillis.size(); i++) {
        ticker.advance(Duration.ofMillis(advanceMillis.get(i)));
        long now = ticker.read();
        String c = "client" + clients.get(i % clients.size());
        client.set(c);
        String key = "k" + i; // a miss every time: every call meets the limiter
        String context = "RateLimited on " + kind + " (burst " + burst + ", " + perSecond + "/s), " + c + ", key '"
            + key + "', call " + i;
        boolean full = !last.containsKey(c) || now - last.get(c) >= (long) Math.ceil(burst * nanosPerLoad);
        first.putIfAbsent(c, now);
        last.put(c, now);
        int before = loads.get();
        try {
          limited.get(key, k -> k + loads.incrementAndGet());
          admitted.merge(c, 1, Integer::sum);
        } catch (RejectedException e) {
          check("too many requests".equals(e.reason()), context + ": reason " + e.reason());
          check(loads.get() == before && f.store.get(key) == null, context
              + ": a rejected call loaded or cached");
          check(!full, context + ": rejected although the bucket had refilled");
          rejected++;
        }
        check(counters.get(Event.RATE_LIMITED) == rejected, context + ": " + rejected + " rejections, RATE_LIMITED "
            + counters.get(Event.RATE_LIMITED));
        double allowed = burst + (now - first.get(c)) / nanosPerLoad + 1e-9;
        int got = admitted.getOrDefault(c, 0);
        check(got <= allowed, context + ": " + got + " loads admitted, limit " + allowed);
      }
    }
  }

  /** Concurrent misses of one client at one instant: exactly min(burst, callers) admitted, the rest RATE_LIMITED. */
  @Property(tries = 15)
  void rateLimiterUnderConcurrency(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 8) int burst,
      @ForAll @IntRange(min = 2, max = 32) int callers) throws Exception {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Counters counters = new Counters();
      LoadingStrategy<String, String> limited = readPath(f.store, RateLimited.builder(storeFill(f.store, counters),
          () -> "tenant").metrics(counters).ticker(ticker).limit(burst, 1).build(), counters);
      String context = "RateLimited on " + kind + " (burst " + burst + "), " + callers + " concurrent callers";
      List<Object> results = Callers.race(callers, i -> 0, i -> limited.get("k" + i, k -> k), Duration.ofSeconds(30),
          context);
      long ok = results.stream().filter(String.class::isInstance).count();
      long rejected = results.stream().filter(RejectedException.class::isInstance).count();
      check(ok == Math.min(burst, callers) && ok + rejected == callers, context + ": " + ok
          + " admitted, " + rejected + " rejected: " + results);
      check(counters.get(Event.RATE_LIMITED) == rejected, context + ": RATE_LIMITED " + counters.get(Event.RATE_LIMITED)
          + " for " + rejected + " rejections");
    }
  }

  /** The breaker's documented state machine, as a model. */
  static final class BreakerModel {
    CircuitBreaker.State state = CircuitBreaker.State.CLOSED;
    int failures;
    long openedAt;
  }

  /**
   * Against a model of the documented state machine: at most {@code failureThreshold} consecutive failed loads
   * reach the database before it opens; while open no load runs and misses are rejected ("circuit open", one
   * CIRCUIT_OPEN each, and none while it is not open); after {@code openFor} one trial load decides.
   */
  @Property(tries = 40)
  void circuitBreakerFollowsItsStateMachine(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 4) int threshold,
      @ForAll @IntRange(min = 1, max = 5) int openForSeconds,
      @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 3000) Integer> advanceMillis,
      @ForAll @Size(min = 1, max = 40) List<Boolean> loaderFails) {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Duration openFor = Duration.ofSeconds(openForSeconds);
      Counters counters = new Counters();
      CircuitBreaker<String, String> breaker = CircuitBreaker.builder(storeFill(f.store, counters))
          .failureThreshold(threshold).openFor(openFor).metrics(counters).ticker(ticker).build();
      LoadingStrategy<String, String> guarded = readPath(f.store, breaker, counters);
      BreakerModel m = new BreakerModel();
      AtomicInteger loads = new AtomicInteger();
      int consecutiveFailedLoads = 0;
      for (int i = 0; i < advanceMillis.size(); i++) {
        ticker.advance(Duration.ofMillis(advanceMillis.get(i)));
        long now = ticker.read();
        boolean fails = loaderFails.get(i % loaderFails.size());
        String key = "k" + i;
        if (m.state == CircuitBreaker.State.OPEN && now - m.openedAt >= openFor.toNanos()) {
          m.state = CircuitBreaker.State.HALF_OPEN;
        }
        String context = "CircuitBreaker on " + kind + " (threshold " + threshold + ", open " + openFor + "), key '"
            + key + "', call " + i + ", model state " + m.state + ", loader " + (fails ? "failing" : "up");
        check(breaker.state() == m.state, context + ": breaker reports " + breaker.state());
        int before = loads.get();
        long openBefore = counters.get(Event.CIRCUIT_OPEN);
        Object outcome;
        try {
          outcome = guarded.get(key, k -> {
            loads.incrementAndGet();
            if (fails) {
              throw new Exception("db down");
            }
            return "ok";
          });
        } catch (LoadException | RejectedException e) {
          outcome = e;
        }
        boolean loaded = loads.get() > before;
        long refused = counters.get(Event.CIRCUIT_OPEN) - openBefore;
        check(refused == (m.state == CircuitBreaker.State.OPEN ? 1 : 0), context + ": " + refused + " CIRCUIT_OPEN");
        if (m.state == CircuitBreaker.State.OPEN) {
          check(!loaded, context + ": loaded while open");
          check(outcome instanceof RejectedException r && "circuit open".equals(r.reason()),
              context + ": expected a 'circuit open' rejection, got " + outcome);
          continue;
        }
        check(loaded, context + ": did not load while " + m.state);
        check(fails ? outcome instanceof LoadException : "ok".equals(outcome), context
            + ": outcome " + outcome);
        consecutiveFailedLoads = fails ? consecutiveFailedLoads + 1 : 0;
        if (m.state == CircuitBreaker.State.HALF_OPEN) {
          m.state = fails ? CircuitBreaker.State.OPEN : CircuitBreaker.State.CLOSED;
          m.openedAt = now;
          m.failures = 0;
        } else if (fails && ++m.failures >= threshold) {
          check(consecutiveFailedLoads <= threshold, context + ": " + consecutiveFailedLoads
              + " consecutive failed loads reached the database");
          m.state = CircuitBreaker.State.OPEN;
          m.openedAt = now;
          m.failures = 0;
        } else if (!fails) {
          m.failures = 0;
        }
      }
    }
  }

  /** Half-open, concurrent misses: no other load starts while the one trial load runs. */
  @Property(tries = 12)
  void circuitBreakerRunsOneTrialAtATime(@ForAll StoreKind kind, @ForAll @IntRange(min = 2, max = 16) int callers,
      @ForAll @IntRange(min = 5, max = 20) int loadMillis, @ForAll boolean trialSucceeds) throws Exception {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Counters counters = new Counters();
      CircuitBreaker<String, String> breaker = CircuitBreaker.builder(storeFill(f.store, counters))
          .failureThreshold(1).openFor(Duration.ofSeconds(1)).metrics(counters).ticker(ticker).build();
      LoadingStrategy<String, String> guarded = readPath(f.store, breaker, counters);
      try {
        guarded.get("open-it", k -> {
          throw new Exception("db down");
        });
      } catch (LoadException expected) {
        // opens the circuit (threshold 1)
      }
      String context = "CircuitBreaker on " + kind + ", half-open, " + callers + " callers, trial "
          + (trialSucceeds ? "succeeds" : "fails");
      check(breaker.state() == CircuitBreaker.State.OPEN, context + ": not open");
      ticker.advance(Duration.ofSeconds(1));
      AtomicBoolean trialRunning = new AtomicBoolean();
      AtomicInteger loads = new AtomicInteger();
      AtomicInteger overlaps = new AtomicInteger();
      List<Object> results = Callers.race(callers, i -> 0, i -> {
        try {
          return guarded.get("k" + i, k -> {
            boolean trial = loads.incrementAndGet() == 1;
            if (trialRunning.get()) {
              overlaps.incrementAndGet();
            }
            if (trial) {
              trialRunning.set(true);
            }
            try {
              Thread.sleep(loadMillis);
              if (trial && !trialSucceeds) {
                throw new Exception("still down");
              }
              return "ok";
            } finally {
              if (trial) {
                trialRunning.set(false);
              }
            }
          });
        } catch (RuntimeException e) {
          return e;
        }
      }, Duration.ofSeconds(30), context);
      check(overlaps.get() == 0 && loads.get() >= 1, context + ": " + overlaps.get()
          + " loads started during the trial load (" + loads.get() + " loads): " + results);
      for (Object r : results) {
        check("ok".equals(r) || r instanceof LoadException
            || (r instanceof RejectedException re && "circuit open".equals(re.reason())), context + ": " + r);
      }
      if (!trialSucceeds) {
        check(loads.get() == 1 && breaker.state() == CircuitBreaker.State.OPEN, context
            + ": a failed trial must reopen the circuit; loads " + loads.get() + ", state " + breaker.state());
      }
    }
  }

  /**
   * Concurrent misses on distinct keys: never more than maxConcurrentLoads loads at once; the excess is shed
   * ("load shed", one LOAD_SHED each), nothing is lost, slots come back even when loads fail.
   */
  @Property(tries = 20)
  void loadShedderKeepsItsBound(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 4) int maxConcurrent,
      @ForAll @IntRange(min = 2, max = 32) int callers, @ForAll @IntRange(min = 0, max = 5) int queueWaitMillis,
      @ForAll @IntRange(min = 1, max = 20) int loadMillis, @ForAll @IntRange(min = 0, max = 4) int failEvery)
      throws Exception {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Counters counters = new Counters();
      LoadShedder<String, String> shedder = LoadShedder.builder(storeFill(f.store, counters))
          .maxConcurrentLoads(maxConcurrent).maxQueueWait(Duration.ofMillis(queueWaitMillis)).metrics(counters).build();
      LoadingStrategy<String, String> guarded = readPath(f.store, shedder, counters);
      CountingLoader loader = new CountingLoader(ticker, loadMillis);
      AtomicInteger n = new AtomicInteger();
      String context = "LoadShedder on " + kind + " (max " + maxConcurrent + ", queue wait " + queueWaitMillis
          + " ms), " + callers + " callers, " + loadMillis + " ms loads";
      List<Object> results = Callers.race(callers, i -> 0, i -> {
        try {
          return guarded.get("k" + i, k -> {
            if (failEvery > 0 && n.incrementAndGet() % failEvery == 0) {
              loader.load(k);
              throw new Exception("db hiccup");
            }
            return loader.load(k);
          });
        } catch (RuntimeException e) {
          return e;
        }
      }, Duration.ofSeconds(30), context);
      long shed = results.stream().filter(r -> r instanceof RejectedException re && "load shed".equals(re.reason()))
          .count();
      long other = results.stream().filter(r -> !(r instanceof String) && !(r instanceof LoadException)
          && !(r instanceof RejectedException re && "load shed".equals(re.reason()))).count();
      check(loader.maxRunning() <= maxConcurrent, context + ": " + loader.maxRunning()
          + " loads ran at once");
      check(other == 0 && loader.loads() + shed == callers, context + ": " + loader.loads()
          + " loads + " + shed + " shed != " + callers + ": " + results);
      check(callers > maxConcurrent || shed == 0, context + ": shed below the bound");
      check(counters.get(Event.LOAD_SHED) == shed, context + ": LOAD_SHED " + counters.get(Event.LOAD_SHED) + " for "
          + shed + " shed loads");
      check(shedder.loadsInFlight() == 0, context + ": " + shedder.loadsInFlight()
          + " slots still taken after every call returned");
    }
  }
}
