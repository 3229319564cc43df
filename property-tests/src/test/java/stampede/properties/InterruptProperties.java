package stampede.properties;

import static stampede.properties.Harness.check;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.redis.RedisLocks;
import stampede.redis.ValueCodec;
import stampede.strategies.CircuitBreaker;
import stampede.testkit.LocalLocks;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * A cancelled request never starts a stampede: callers of every strategy are interrupted at chosen points, and
 * afterwards nothing is open, lost or left behind.
 *
 * <p><b>The run.</b> One to three keys, each fresh in the store, missing, or (for the strategies with a lock) missing
 * with its lease held by another node. One to six callers, started one at a time; each is let run until it has
 * returned or is blocked at a known point (in its loader, which parks on a gate; waiting for the load in flight;
 * waiting for a lease's signal; in a store command, {@link Interrupting}), and interrupted there if that is its
 * {@link Point}. Then the gate opens, the other node writes its value and releases its lease, every caller returns,
 * and one more caller reads each key.
 *
 * <p><b>What must hold.</b>
 * <ul>
 *   <li>A caller interrupted while it waited (for a load in flight, for a lease) or inside its loader gets an
 *       {@link InterruptedLoadException} and keeps its interrupt status. One interrupted in a store command gets the
 *       same; on Redis it may get a value instead, when the command's reply had already arrived (Lettuce then returns
 *       it): the interrupt status is kept either way, and nothing blocks on it afterwards.</li>
 *   <li>A caller not interrupted gets a value, or a refusal ({@link RejectedException}) from the two strategies that
 *       refuse loads anyway (the one load slot, the rate limit), and no interrupt status.</li>
 *   <li>No extra load. A fresh key or a key another node loads costs no load. A missing key costs one load with a
 *       strategy that coalesces (single flight or a lease), and at most one per uninterrupted caller (and at least
 *       the last reader's one) with one that does not (cache-aside, the breaker, the shedder, the rate limit). On top
 *       of that, each caller interrupted after its load had started (inside its loader, or in the write after it)
 *       may cost one more: its load ended without a value, and its waiters retry, one of them loading (single
 *       flight's documented "an interrupt of the loading caller is its own"). So a missing key read by C callers
 *       through single flight costs at most 1 + L loads, L the callers interrupted while loading. Interrupting a
 *       caller that was not loading costs nothing.</li>
 *   <li>Nothing opens: no {@link Event#STORE_ERROR} (no store fault was injected, so one means an interrupt was taken
 *       for a store failure: a guard opens on it), the store guard closed, the breaker closed.</li>
 *   <li>Nothing left behind: no load in flight in any single flight, no refresh mark, no load slot taken, no lease
 *       held, every watch closed, and on Redis no key's signal channel still subscribed.</li>
 * </ul>
 */
class InterruptProperties {
  static final Duration SETTLE = Duration.ofSeconds(10);
  /** How long an interrupted caller may take to return: it has nothing left to wait for. */
  static final Duration AFTER_INTERRUPT = Duration.ofSeconds(2);
  /** The lock's maxWait here: long enough that no caller falls back while the run holds its loads. */
  static final Duration MAX_WAIT = Duration.ofSeconds(5);

  /** Where a caller is interrupted, if it gets there. */
  enum Point {
    /** Never. */
    NONE,
    /** Blocked in its first, second or third entry command to the store or the leases. */
    STORE_0, STORE_1, STORE_2,
    /** Waiting for a load in flight, or for a lease's signal. */
    WAIT,
    /** Inside its own loader. */
    LOADER
  }

  /** Where a caller was found blocked. */
  enum Where { FINISHED, STORE, FLIGHT, LEASE, LOADER }

  enum KeyState { FRESH, MISSING, HELD_ELSEWHERE }

  /** A caller: the key it reads (an index, taken modulo the keys) and where it is interrupted. */
  record Caller(int key, Point point) { }

  /** The strategies whose behaviour differs on a shared store: the plain read path, the locks, the guard. */
  static final Set<EveryStrategy> ON_REDIS = EnumSet.of(EveryStrategy.CACHE_ASIDE, EveryStrategy.SINGLE_FLIGHT,
      EveryStrategy.DISTRIBUTED_LOCK, EveryStrategy.DISTRIBUTED_LOCK_FAIL, EveryStrategy.TWO_LEVEL,
      EveryStrategy.LAYERED_STACK, EveryStrategy.STORE_GUARD);

  @Property(tries = 600) // 300 tries left LEASE at 8 interrupts for some seeds, near the 5 the coverage asks
  void interruptedCallersOnTheInProcessStore(@ForAll EveryStrategy strategy,
      @ForAll @Size(min = 1, max = 3) List<KeyState> keys, @ForAll @Size(min = 1, max = 6) List<@From("callers")
      Caller> callers, @ForAll long seed) throws Exception {
    Run run = new Run(strategy, StoreKind.CAFFEINE, keys, callers, seed);
    run.run();
    collect(run, Where.LOADER, Where.FLIGHT, Where.LEASE, Where.STORE);
  }

  @Property(tries = 240) // 60 tries left LEASE or FLIGHT under 5 interrupts for some seeds
  void interruptedCallersOnRedis(@ForAll("onRedis") EveryStrategy strategy,
      @ForAll @Size(min = 1, max = 3) List<KeyState> keys, @ForAll @Size(min = 1, max = 6) List<@From("callers")
      Caller> callers, @ForAll long seed) throws Exception {
    Run run = new Run(strategy, StoreKind.REDIS, keys, callers, seed);
    run.run();
    collect(run, Where.LOADER, Where.FLIGHT, Where.LEASE, Where.STORE);
  }

  @Provide
  Arbitrary<EveryStrategy> onRedis() {
    return Arbitraries.of(ON_REDIS);
  }

  /** Counts where callers were interrupted, and checks each of {@code points} was reached in some tries. */
  private static void collect(Run run, Where... points) {
    for (Call c : run.calls) {
      Statistics.label("interrupted at").collect(c.interrupted == null ? "nowhere" : c.interrupted.name());
    }
    Statistics.label("interrupted at").coverage(coverage -> {
      for (Where w : points) {
        coverage.check(w.name()).count(n -> n >= 5);
      }
    });
  }

  @Provide
  Arbitrary<Caller> callers() {
    // most callers on the first key, so they meet each other's loads; waits and loads weighted up, as they need one
    Arbitrary<Integer> key = Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1), Tuple.of(1, 2));
    Arbitrary<Point> point = Arbitraries.frequency(Tuple.of(2, Point.NONE), Tuple.of(1, Point.STORE_0),
        Tuple.of(1, Point.STORE_1), Tuple.of(1, Point.STORE_2), Tuple.of(3, Point.WAIT), Tuple.of(2, Point.LOADER));
    return Combinators.combine(key, point).as(Caller::new);
  }

  /**
   * Records which threads waited for a load in flight: coalesced, or waiting for the distributed lock (a waiter that
   * is not its process's poller parks on the poller or on the holder, not on a watch).
   */
  static final class Coalesced implements Metrics {
    final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    @Override
    public void record(Event event, Object key) {
      if (event == Event.LOAD_COALESCED || event == Event.LOCK_WAITED) {
        threads.add(Thread.currentThread());
      }
    }
  }

  /**
   * A loader that parks on a gate until the run opens it, counting its loads per key and who ran them. Called by a
   * caller already interrupted, it throws at once and loads nothing (so an interrupt that a store's client let
   * through costs no load here, and the property sees only what the strategies do).
   */
  static final class GatedLoader implements Loader<String, String> {
    final CountDownLatch gate = new CountDownLatch(1);
    final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    final Set<Thread> inside = ConcurrentHashMap.newKeySet();
    final Set<Thread> ran = ConcurrentHashMap.newKeySet();

    @Override
    public String load(String key) throws Exception {
      Thread me = Thread.currentThread();
      if (me.isInterrupted()) { // a loader that looks for its caller's cancellation first does no database work
        throw new InterruptedException("cancelled before the load started");
      }
      int n = loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      ran.add(me);
      inside.add(me);
      try {
        if (!gate.await(SETTLE.toMillis() * 3, TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("the run never opened the loader's gate");
        }
        return key + "#" + n;
      } finally {
        inside.remove(me);
      }
    }

    int loadsOf(String key) {
      AtomicInteger n = loads.get(key);
      return n == null ? 0 : n.get();
    }
  }

  /** One caller's thread and what happened to it. */
  static final class Call {
    final int index;
    final String key;
    final Point point;
    Thread thread;
    volatile Object outcome; // the value, or the Throwable
    volatile boolean statusSet;
    Where interrupted; // where the interrupt was delivered, null if not
    boolean wasLoading; // its load had started when it was interrupted
    Where blockedAfter; // where it blocked again after its interrupt, if it did

    Call(int index, String key, Point point) {
      this.index = index;
      this.key = key;
      this.point = point;
    }

    boolean matches(Where where) {
      return switch (point) {
        case NONE -> false;
        case STORE_0, STORE_1, STORE_2 -> where == Where.STORE;
        case WAIT -> where == Where.FLIGHT || where == Where.LEASE;
        case LOADER -> where == Where.LOADER;
      };
    }

    @Override
    public String toString() {
      Object o = outcome;
      return "caller " + index + " on '" + key + "' (" + point + ")" + (interrupted != null ? " interrupted at "
          + interrupted : " not interrupted") + (blockedAfter != null ? ", then blocked again at " + blockedAfter
          : "") + ": " + (o instanceof Throwable t ? t.getClass().getSimpleName() + ": " + t.getMessage() : o)
          + (statusSet ? ", interrupt status set" : "");
    }
  }

  /** One try: the strategy over a fresh store of {@code kind}, the keys, the callers. */
  static final class Run {
    final EveryStrategy strategy;
    final StoreKind kind;
    final List<KeyState> keyStates;
    final List<Caller> callerPlan;
    final long seed;
    final ManualTicker ticker = new ManualTicker();
    final Counters counters = new Counters();
    final Coalesced coalesced = new Coalesced();
    final GatedLoader loader = new GatedLoader();
    final List<Call> calls = new ArrayList<>();
    final Map<String, KeyState> keys = new LinkedHashMap<>();
    final Map<String, Object> lastReads = new LinkedHashMap<>();
    Interrupting shared;

    Run(EveryStrategy strategy, StoreKind kind, List<KeyState> keyStates, List<Caller> callers, long seed) {
      this.strategy = strategy;
      this.kind = kind;
      this.keyStates = keyStates;
      this.callerPlan = callers;
      this.seed = seed;
    }

    void run() throws Exception {
      ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
      watchdog.setRemoveOnCancelPolicy(true);
      Map<String, Long> held = new LinkedHashMap<>();
      try (StoreFixture<String> f = kind.open(ticker, ValueCodec.utf8(), Duration.ofMinutes(2));
          Harness.TrackingExecutor background = new Harness.TrackingExecutor()) {
        try {
          shared = new Interrupting(f.store, f.locks, !kind.isRedis());
          EveryStrategy.Parts parts = new EveryStrategy.Parts();
          LoadingStrategy<String, String> target = strategy.build(shared, ticker, counters.and(coalesced), new Random(
              seed), watchdog, background, MAX_WAIT, parts);
          prepareKeys(f, held);
          for (int i = 0; i < callerPlan.size(); i++) {
            Caller c = callerPlan.get(i);
            List<String> names = new ArrayList<>(keys.keySet());
            Call call = new Call(i, names.get(c.key() % names.size()), c.point());
            calls.add(call);
            start(call, target);
          }
          loader.gate.countDown();
          releaseElsewhere(f, held);
          for (Call call : calls) {
            call.thread.join(SETTLE.toMillis());
            check(!call.thread.isAlive(), context() + ": caller " + call.index + " still running " + SETTLE
                + " after the loads were released (hung)");
          }
          check(background.awaitIdle(SETTLE), context() + ": background refresh did not finish");
          Thread.interrupted(); // the reader below is not interrupted
          for (String key : keys.keySet()) {
            lastReads.put(key, outcome(() -> target.get(key, loader)));
          }
          check(background.awaitIdle(SETTLE), context() + ": background refresh did not finish");
          verify(f, parts);
        } finally {
          loader.gate.countDown();
          for (Call call : calls) {
            if (call.thread != null && call.thread.isAlive()) {
              call.thread.interrupt();
              call.thread.join(SETTLE.toMillis());
            }
          }
          for (String key : held.keySet()) {
            f.locks.release(key, "elsewhere");
          }
        }
      } finally {
        watchdog.shutdownNow();
        watchdog.awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    private void prepareKeys(StoreFixture<String> f, Map<String, Long> held) {
      for (int i = 0; i < keyStates.size(); i++) {
        String key = "k" + i;
        KeyState state = keyStates.get(i);
        if (state == KeyState.HELD_ELSEWHERE && !strategy.locks()) {
          state = KeyState.MISSING; // no lock: a lease held elsewhere means nothing to it
        }
        keys.put(key, state);
        long now = ticker.read();
        if (state == KeyState.FRESH) {
          check(f.store.put(key, new Entry<>(key + "#warm", now, now + EveryStrategy.TTL.toNanos(), 0, 0)),
              "warming '" + key + "' was refused");
        } else if (state == KeyState.HELD_ELSEWHERE) {
          long token = f.locks.tryAcquire(key, "elsewhere", 60_000);
          check(token > 0, "the lease of '" + key + "' is taken before the run");
          held.put(key, token);
        }
      }
    }

    /** The other node's load ends: it writes its value under its lease, releases it and signals the waiters. */
    private void releaseElsewhere(StoreFixture<String> f, Map<String, Long> held) {
      for (Map.Entry<String, Long> h : held.entrySet()) {
        long now = ticker.read();
        f.store.put(h.getKey(), new Entry<>(h.getKey() + "#elsewhere", now, now + EveryStrategy.TTL.toNanos(), 0,
            h.getValue()));
        f.locks.release(h.getKey(), "elsewhere");
        f.locks.signal(h.getKey());
      }
      held.clear();
    }

    /** Starts {@code call}, lets it settle, interrupts it if it settled at its point, lets it settle again. */
    private void start(Call call, LoadingStrategy<String, String> target) throws InterruptedException {
      call.thread = new Thread(() -> {
        call.outcome = outcome(() -> target.get(call.key, loader));
        call.statusSet = Thread.interrupted();
      }, "caller-" + call.index);
      call.thread.setDaemon(true);
      switch (call.point) {
        case STORE_0 -> shared.arm(call.thread, 0);
        case STORE_1 -> shared.arm(call.thread, 1);
        case STORE_2 -> shared.arm(call.thread, 2);
        default -> { }
      }
      call.thread.start();
      Where where = settle(call);
      if (call.matches(where)) {
        call.interrupted = where;
        call.wasLoading = loader.ran.contains(call.thread);
        call.thread.interrupt();
        call.thread.join(AFTER_INTERRUPT.toMillis()); // its status set, nothing may block it any more
        if (call.thread.isAlive()) {
          call.blockedAfter = settle(call);
        }
      }
      shared.disarm(call.thread);
    }

    /** Waits (sleeping) until the caller has returned or is blocked at a known point. */
    private Where settle(Call call) throws InterruptedException {
      long deadline = System.nanoTime() + SETTLE.toNanos();
      while (true) {
        Thread t = call.thread;
        if (!t.isAlive()) {
          return Where.FINISHED;
        }
        if (loader.inside.contains(t)) {
          return Where.LOADER;
        }
        if (shared.blockedInCommand(t)) {
          return Where.STORE;
        }
        Thread.State state = t.getState();
        boolean parked = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
        if (parked && shared.awaitingSignal(t)) {
          return Where.LEASE;
        }
        if (parked && coalesced.threads.contains(t) && !shared.inCommand(t)) {
          return Where.FLIGHT;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError(context() + ": caller " + call.index + " neither returned nor blocked at a known "
              + "point within " + SETTLE + " (state " + state + ")");
        }
        Thread.sleep(1);
      }
    }

    private static Object outcome(java.util.function.Supplier<Object> call) {
      try {
        return call.get();
      } catch (Throwable t) {
        return t;
      }
    }

    private String context() {
      return strategy + " on " + kind + ", keys " + keys + ", callers " + callerPlan + ", seed " + seed;
    }

    String story() {
      StringBuilder s = new StringBuilder(context());
      for (Call c : calls) {
        s.append("\n  ").append(c);
      }
      for (Map.Entry<String, Object> r : lastReads.entrySet()) {
        Object o = r.getValue();
        s.append("\n  last read of '").append(r.getKey()).append("': ")
            .append(o instanceof Throwable t ? t.getClass().getSimpleName() + ": " + t.getMessage() : o);
      }
      s.append("\n  loads ").append(loader.loads).append(", ").append(counters);
      return s.toString();
    }

    private boolean coalesces() {
      return !EnumSet.of(EveryStrategy.CACHE_ASIDE, EveryStrategy.CIRCUIT_BREAKER, EveryStrategy.LOAD_SHEDDER,
          EveryStrategy.PRIORITY_SHEDDER, EveryStrategy.RATE_LIMITED).contains(strategy);
    }

    private boolean refuses() {
      return strategy == EveryStrategy.LOAD_SHEDDER || strategy == EveryStrategy.PRIORITY_SHEDDER
          || strategy == EveryStrategy.RATE_LIMITED;
    }

    private void verify(StoreFixture<String> f, EveryStrategy.Parts parts) throws Exception {
      for (Call c : calls) {
        if (c.interrupted != null) {
          check(c.statusSet, story() + "\n-> caller " + c.index + " lost its interrupt status");
          check(c.blockedAfter == null, story() + "\n-> caller " + c.index + " blocked again after its interrupt");
          boolean valueAllowed = c.interrupted == Where.STORE && kind.isRedis();
          check(c.outcome instanceof InterruptedLoadException || valueAllowed && c.outcome instanceof String,
              story() + "\n-> caller " + c.index + ", interrupted at " + c.interrupted + ", got "
              + describe(c.outcome) + "; expected an InterruptedLoadException" + (valueAllowed ? " or a value" : ""));
        } else {
          check(!c.statusSet, story() + "\n-> caller " + c.index + " was not interrupted and has the status set");
          check(c.outcome instanceof String || refuses() && c.outcome instanceof RejectedException,
              story() + "\n-> caller " + c.index + ", not interrupted, got " + describe(c.outcome));
        }
      }
      for (Map.Entry<String, Object> r : lastReads.entrySet()) {
        check(r.getValue() instanceof String || refuses() && r.getValue() instanceof RejectedException,
            story() + "\n-> the last read of '" + r.getKey() + "' got " + describe(r.getValue()));
      }
      for (Map.Entry<String, KeyState> k : keys.entrySet()) {
        String key = k.getKey();
        long uninterrupted = calls.stream().filter(c -> c.key.equals(key) && c.interrupted == null).count();
        long interruptedLoaders = calls.stream().filter(c -> c.key.equals(key) && c.wasLoading).count();
        long base = switch (k.getValue()) {
          case FRESH, HELD_ELSEWHERE -> 0;
          case MISSING -> coalesces() ? 1 : Math.max(1, uninterrupted);
        };
        int loads = loader.loadsOf(key);
        check(loads <= base + interruptedLoaders, story() + "\n-> '" + key + "' (" + k.getValue() + ") was loaded "
            + loads + " times; the uninterrupted callers cause " + base + ", and " + interruptedLoaders
            + " interrupted caller(s) had started a load before their interrupt");
      }
      check(counters.get(Event.STORE_ERROR) == 0, story() + "\n-> " + counters.get(Event.STORE_ERROR)
          + " STORE_ERROR with no store fault: an interrupt was taken for a store failure");
      check(parts.guard == null || !parts.guard.isOpen(), story() + "\n-> the store guard is open");
      check(parts.breaker == null || parts.breaker.state() == CircuitBreaker.State.CLOSED, story()
          + "\n-> the circuit breaker is " + (parts.breaker == null ? null : parts.breaker.state()));
      check(parts.inFlight() == 0, story() + "\n-> " + parts.inFlight() + " loads left in flight in a single flight");
      check(parts.path == null || parts.path.refreshing() == 0, story() + "\n-> "
          + (parts.path == null ? 0 : parts.path.refreshing()) + " refresh marks left");
      check(parts.slotsTaken() == 0, story() + "\n-> a load slot is still taken");
      check(shared.openWatches() == 0, story() + "\n-> " + shared.openWatches() + " watches left open");
      for (String key : keys.keySet()) {
        String holder = Harness.await(() -> holder(f, key) == null, Duration.ofSeconds(1)) ? null : holder(f, key);
        check(holder == null, story() + "\n-> the lease of '" + key + "' is still held by " + holder);
      }
      if (kind.isRedis()) {
        checkNoChannelSubscribed(f);
      }
    }

    private static String holder(StoreFixture<String> f, String key) {
      if (f.locks instanceof LocalLocks<String> local) {
        return local.holder(key);
      }
      return ((RedisLocks<String>) f.locks).holder(key);
    }

    private void checkNoChannelSubscribed(StoreFixture<String> f) throws InterruptedException {
      String[] channels = keys.keySet().stream().map(k -> f.redisKeys().signal(k)).toArray(String[]::new);
      try (StatefulRedisConnection<String, String> c = SharedRedis.client().connect()) {
        boolean none = Harness.await(() -> c.sync().pubsubNumsub(channels).values().stream()
            .allMatch(n -> n == 0), Duration.ofSeconds(2));
        check(none, story() + "\n-> signal channels still subscribed: " + c.sync().pubsubNumsub(channels));
      }
    }

    private static String describe(Object outcome) {
      return outcome instanceof Throwable t ? t.getClass().getSimpleName() + " (" + t.getMessage() + ")"
          : "'" + outcome + "'";
    }
  }
}
