package stampede.properties;

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
import stampede.core.Counters;
import stampede.core.LoadException;
import stampede.core.ManualTicker;
import stampede.core.RejectedException;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;
import stampede.strategies.CircuitBreaker;
import stampede.strategies.LoadShedder;
import stampede.strategies.RateLimited;

/** The protections keep their limits: rate limiter, circuit breaker, load shedder. */
class ProtectionProperties {
  private static final Duration TTL = Duration.ofSeconds(60);

  /**
   * Per client, loads admitted by time t never exceed burst + rate x (t - first call), and a client whose bucket
   * has had time to refill completely is admitted. Rejected calls load and cache nothing.
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
      RateLimited<String, String> limited = new RateLimited<>(f.store, ticker, counters, TTL, client::get, burst,
          perSecond);
      double nanosPerLoad = 1e9 / perSecond;
      Map<String, Long> first = new HashMap<>();
      Map<String, Long> last = new HashMap<>();
      Map<String, Integer> admitted = new HashMap<>();
      AtomicInteger loads = new AtomicInteger();
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
          LoadErrorProperties.check("too many requests".equals(e.reason()), context + ": reason " + e.reason());
          LoadErrorProperties.check(loads.get() == before && f.store.get(key) == null, context
              + ": a rejected call loaded or cached");
          LoadErrorProperties.check(!full, context + ": rejected although the bucket had refilled");
        }
        double allowed = burst + (now - first.get(c)) / nanosPerLoad + 1e-9;
        int got = admitted.getOrDefault(c, 0);
        LoadErrorProperties.check(got <= allowed, context + ": " + got + " loads admitted, limit " + allowed);
      }
    }
  }

  /** Concurrent misses of one client at one instant: exactly min(burst, callers) are admitted. */
  @Property(tries = 15)
  void rateLimiterUnderConcurrency(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 8) int burst,
      @ForAll @IntRange(min = 2, max = 32) int callers) throws Exception {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      RateLimited<String, String> limited = new RateLimited<>(f.store, ticker, new Counters(), TTL, () -> "tenant",
          burst, 1);
      String context = "RateLimited on " + kind + " (burst " + burst + "), " + callers + " concurrent callers";
      List<Object> results = Harness.race(callers, i -> 0L, i -> limited.get("k" + i, k -> k), Duration.ofSeconds(30),
          context);
      long ok = results.stream().filter(String.class::isInstance).count();
      long rejected = results.stream().filter(RejectedException.class::isInstance).count();
      LoadErrorProperties.check(ok == Math.min(burst, callers) && ok + rejected == callers, context + ": " + ok
          + " admitted, " + rejected + " rejected: " + results);
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
   * reach the database before it opens; while open no load runs and misses are rejected ("circuit open"); after
   * {@code openFor} one trial load decides.
   */
  @Property(tries = 40)
  void circuitBreakerFollowsItsStateMachine(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 4) int threshold,
      @ForAll @IntRange(min = 1, max = 5) int openForSeconds,
      @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 3000) Integer> advanceMillis,
      @ForAll @Size(min = 1, max = 40) List<Boolean> loaderFails) {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Duration openFor = Duration.ofSeconds(openForSeconds);
      CircuitBreaker<String, String> breaker = new CircuitBreaker<>(f.store, ticker, new Counters(), TTL, threshold,
          openFor, Duration.ZERO);
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
        LoadErrorProperties.check(breaker.state() == m.state, context + ": breaker reports " + breaker.state());
        int before = loads.get();
        Object outcome;
        try {
          outcome = breaker.get(key, k -> {
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
        if (m.state == CircuitBreaker.State.OPEN) {
          LoadErrorProperties.check(!loaded, context + ": loaded while open");
          LoadErrorProperties.check(outcome instanceof RejectedException r && "circuit open".equals(r.reason()),
              context + ": expected a 'circuit open' rejection, got " + outcome);
          continue;
        }
        LoadErrorProperties.check(loaded, context + ": did not load while " + m.state);
        LoadErrorProperties.check(fails ? outcome instanceof LoadException : "ok".equals(outcome), context
            + ": outcome " + outcome);
        consecutiveFailedLoads = fails ? consecutiveFailedLoads + 1 : 0;
        if (m.state == CircuitBreaker.State.HALF_OPEN) {
          m.state = fails ? CircuitBreaker.State.OPEN : CircuitBreaker.State.CLOSED;
          m.openedAt = now;
          m.failures = 0;
        } else if (fails && ++m.failures >= threshold) {
          LoadErrorProperties.check(consecutiveFailedLoads <= threshold, context + ": " + consecutiveFailedLoads
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
      CircuitBreaker<String, String> breaker = new CircuitBreaker<>(f.store, ticker, new Counters(), TTL, 1,
          Duration.ofSeconds(1), Duration.ZERO);
      try {
        breaker.get("open-it", k -> {
          throw new Exception("db down");
        });
      } catch (LoadException expected) {
        // opens the circuit (threshold 1)
      }
      String context = "CircuitBreaker on " + kind + ", half-open, " + callers + " callers, trial "
          + (trialSucceeds ? "succeeds" : "fails");
      LoadErrorProperties.check(breaker.state() == CircuitBreaker.State.OPEN, context + ": not open");
      ticker.advance(Duration.ofSeconds(1));
      AtomicBoolean trialRunning = new AtomicBoolean();
      AtomicInteger loads = new AtomicInteger();
      AtomicInteger overlaps = new AtomicInteger();
      List<Object> results = Harness.race(callers, i -> 0L, i -> {
        try {
          return breaker.get("k" + i, k -> {
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
      LoadErrorProperties.check(overlaps.get() == 0 && loads.get() >= 1, context + ": " + overlaps.get()
          + " loads started during the trial load (" + loads.get() + " loads): " + results);
      for (Object r : results) {
        LoadErrorProperties.check("ok".equals(r) || r instanceof LoadException
            || (r instanceof RejectedException re && "circuit open".equals(re.reason())), context + ": " + r);
      }
      if (!trialSucceeds) {
        LoadErrorProperties.check(loads.get() == 1 && breaker.state() == CircuitBreaker.State.OPEN, context
            + ": a failed trial must reopen the circuit; loads " + loads.get() + ", state " + breaker.state());
      }
    }
  }

  /**
   * Concurrent misses on distinct keys: never more than maxConcurrentLoads loads at once; the excess is shed
   * ("load shed"), nothing is lost, slots come back even when loads fail.
   */
  @Property(tries = 20)
  void loadShedderKeepsItsBound(@ForAll StoreKind kind, @ForAll @IntRange(min = 1, max = 4) int maxConcurrent,
      @ForAll @IntRange(min = 2, max = 32) int callers, @ForAll @IntRange(min = 0, max = 5) int queueWaitMillis,
      @ForAll @IntRange(min = 1, max = 20) int loadMillis, @ForAll @IntRange(min = 0, max = 4) int failEvery)
      throws Exception {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder = new LoadShedder<>(f.store, ticker, new Counters(), TTL, maxConcurrent,
          Duration.ofMillis(queueWaitMillis), Duration.ZERO);
      Harness.CountingLoader loader = new Harness.CountingLoader(ticker, loadMillis);
      AtomicInteger n = new AtomicInteger();
      String context = "LoadShedder on " + kind + " (max " + maxConcurrent + ", queue wait " + queueWaitMillis
          + " ms), " + callers + " callers, " + loadMillis + " ms loads";
      List<Object> results = Harness.race(callers, i -> 0L, i -> {
        try {
          return shedder.get("k" + i, k -> {
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
      LoadErrorProperties.check(loader.maxRunning.get() <= maxConcurrent, context + ": " + loader.maxRunning.get()
          + " loads ran at once");
      LoadErrorProperties.check(other == 0 && loader.loads.get() + shed == callers, context + ": " + loader.loads.get()
          + " loads + " + shed + " shed != " + callers + ": " + results);
      LoadErrorProperties.check(callers > maxConcurrent || shed == 0, context + ": shed below the bound");
      LoadErrorProperties.check(shedder.loadsInFlight() == 0, context + ": " + shedder.loadsInFlight()
          + " slots still taken after every call returned");
    }
  }
}
