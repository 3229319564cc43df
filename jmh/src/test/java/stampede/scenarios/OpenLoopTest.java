package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The open loop's mechanics, on a hand-driven clock: requests are handed over at their intended starts whatever the
 * earlier ones do, latency runs from the intended start, the achieved rate and the lag report a generator that falls
 * behind, and a burst with a lead is handed over early while its callers wait for the instant.
 */
class OpenLoopTest {
  static final long MS = 1_000_000L;

  /** What the listener saw of one request. */
  record Done(long index, long intended, long started, long ended, Throwable error) { }

  static final class Recording implements OpenLoop.Listener {
    final ConcurrentHashMap<Long, Done> done = new ConcurrentHashMap<>();

    @Override
    public void completed(long index, long intended, long started, long ended, Throwable error) {
      done.put(index, new Done(index, intended, started, ended, error));
    }
  }

  /** Holds every request until {@link #runAll}; records the clock at each hand-over. */
  static final class Deferred implements java.util.concurrent.Executor {
    final FakeClock clock;
    final List<Runnable> tasks = new ArrayList<>();
    final List<Long> handedOverAt = new ArrayList<>();

    Deferred(FakeClock clock) {
      this.clock = clock;
    }

    @Override
    public void execute(Runnable task) {
      handedOverAt.add(clock.nanoTime());
      tasks.add(task);
    }

    void runAll() {
      tasks.forEach(Runnable::run);
      tasks.clear();
    }
  }

  @Test
  void theScheduleSpacesIntendedStartsEvenly() {
    OpenLoop.Schedule s = OpenLoop.Schedule.rate(100_000, Duration.ofSeconds(2));
    assertEquals(200_000, s.count());
    assertEquals(0, s.offset(0));
    assertEquals(10_000, s.offset(1));
    assertEquals(1_999_990_000L, s.offset(199_999));
    assertEquals(100_000, s.perSecond(), 1e-6);
    OpenLoop.Schedule burst = OpenLoop.Schedule.burst(5);
    assertEquals(0, burst.offset(4));
    assertEquals(Double.POSITIVE_INFINITY, burst.perSecond());
    assertThrows(IllegalArgumentException.class, () -> OpenLoop.Schedule.rate(0, Duration.ofSeconds(1)));
  }

  @Test
  void requestsAreHandedOverAtTheirIntendedStartsAndLatencyCountsFromThere() {
    FakeClock clock = new FakeClock(0);
    Deferred callers = new Deferred(clock);
    Recording seen = new Recording();
    long origin = 5 * MS;
    OpenLoop.Result r = new OpenLoop(clock, callers).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(3)), origin,
        i -> { }, seen, Duration.ZERO);
    assertEquals(List.of(5 * MS, 6 * MS, 7 * MS), callers.handedOverAt, "one hand-over per intended start");
    assertEquals(0, r.maxLagNanos());
    assertEquals(3, r.dispatched());

    clock.set(20 * MS); // the caller threads get to run late: 15, 14 and 13 ms after their intended starts
    callers.runAll();
    for (long i = 0; i < 3; i++) {
      Done d = seen.done.get(i);
      assertEquals(origin + i * MS, d.intended());
      assertEquals(20 * MS, d.started());
      assertEquals((15 - i) * MS, d.ended() - d.intended(), "latency from the intended start, not from the start");
      assertNull(d.error());
    }
  }

  @Test
  void theProbeRecordsLatencyFromTheIntendedStartAndServiceTimeApart() {
    FakeClock clock = new FakeClock(0);
    Deferred callers = new Deferred(clock);
    Probe probe = new Probe().measureFrom(1 * MS); // request 0 (intended at 0) is warm-up
    new OpenLoop(clock, callers).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(3)), 0, i -> clock.advance(MS),
        probe, Duration.ZERO);
    clock.set(10 * MS);
    callers.runAll(); // each call takes 1 ms (the clock moves): ends at 11, 12, 13 ms
    assertEquals(2, probe.measured());
    assertEquals(11.0, Probe.millis(probe.latency(), 100), 0.01, "request 2: intended at 2 ms, ended at 13 ms");
    assertEquals(11.0, Probe.millis(probe.latency(), 0), 0.01, "request 1: intended at 1 ms, ended at 12 ms");
    assertEquals(1.0, Probe.maxMillis(probe.serviceTime()), 0.01, "service time alone: 1 ms");
    assertEquals(10 * MS, probe.maxStartLag(), "requests 1 and 2 started 10 ms after their intended starts");
  }

  @Test
  void aSlowRequestDoesNotDelayTheOnesAfterIt() throws Exception {
    FakeClock clock = new FakeClock(0);
    ExecutorService threads = Executors.newCachedThreadPool();
    List<Long> handedOverAt = new ArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    Recording seen = new Recording();
    try {
      OpenLoop.Result r = new OpenLoop(clock, task -> {
        handedOverAt.add(clock.nanoTime());
        threads.execute(task);
      }).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(10)), 0, i -> {
        if (i == 0) { // the first request blocks, as a caller waiting for a load would
          blocked.countDown();
          assertTrue(release.await(10, TimeUnit.SECONDS));
        }
      }, seen, Duration.ofMillis(5));
      assertTrue(blocked.await(10, TimeUnit.SECONDS));
      assertEquals(10, handedOverAt.size(), "all ten handed over while the first one was still blocked");
      for (int i = 0; i < 10; i++) {
        assertEquals(i * MS, handedOverAt.get(i), "request " + i + " on time");
      }
      assertEquals(0, r.maxLagNanos());
      assertTrue(r.incomplete(), "the run ended (after its drain) with the slow request still running");
      assertNull(seen.done.get(0L), "request 0 had not completed");
    } finally {
      release.countDown();
      threads.shutdown();
      assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }
    assertEquals(10, seen.done.size(), "and it completes once released");
  }

  @Test
  void theAchievedRateMatchesTheTargetOnSchedule() {
    FakeClock clock = new FakeClock(0);
    OpenLoop.Result r = new OpenLoop(clock, Runnable::run).run(OpenLoop.Schedule.rate(1_000, Duration.ofSeconds(1)),
        0, i -> { }, new Recording(), Duration.ofSeconds(1));
    assertEquals(1_000, r.dispatched());
    assertEquals(1_000, r.completed());
    assertEquals(1_000, r.achievedPerSecond(), 1e-6);
    assertFalse(r.behind());
  }

  @Test
  void aGeneratorThatCannotKeepUpIsReportedBehindWithItsLag() {
    FakeClock clock = new FakeClock(0);
    // each hand-over costs the generator 2 ms, against 1 ms between intended starts
    OpenLoop.Result r = new OpenLoop(clock, task -> {
      clock.advance(2 * MS);
      task.run();
    }).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(100)), 0, i -> { }, new Recording(), Duration.ZERO);
    assertEquals(100, r.dispatched());
    assertTrue(r.achievedPerSecond() < 600, "about half the target: " + r.achievedPerSecond());
    assertTrue(r.behind());
    assertTrue(r.maxLagNanos() >= 90 * MS, "the last request went out about 99 ms late: " + r.maxLagNanos());
  }

  @Test
  void requestsDueTogetherGoOutInOneWakeUp() {
    FakeClock clock = new FakeClock(0);
    Deferred callers = new Deferred(clock);
    // the generator is late by 3.5 ms when it first looks: requests 0..3 are due and go at once, no sleep
    clock.set(3_500_000);
    new OpenLoop(clock, callers).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(6)), 0, i -> { },
        new Recording(), Duration.ZERO);
    assertEquals(List.of(3_500_000L, 3_500_000L, 3_500_000L, 3_500_000L, 4 * MS, 5 * MS), callers.handedOverAt);
    assertEquals(List.of(4 * MS, 5 * MS), clock.sleeps.subList(0, 2), "then it sleeps until each next start");
  }

  @Test
  void aBurstWithALeadIsHandedOverEarlyAndItsCallersWaitForTheInstant() {
    FakeClock clock = new FakeClock(0);
    Deferred callers = new Deferred(clock);
    Recording seen = new Recording();
    long instant = 100 * MS;
    new OpenLoop(clock, callers).run(OpenLoop.Schedule.burst(4), instant, Duration.ofMillis(50), i -> { }, seen,
        Duration.ZERO);
    assertEquals(List.of(50 * MS, 50 * MS, 50 * MS, 50 * MS), callers.handedOverAt, "handed over 50 ms ahead");
    callers.runAll(); // each caller sleeps until the instant, then runs
    for (Done d : seen.done.values()) {
      assertEquals(instant, d.intended());
      assertEquals(instant, d.started(), "started at the instant, not when handed over");
    }
  }

  @Test
  void whatACallThrowsReachesTheListener() {
    FakeClock clock = new FakeClock(0);
    Recording seen = new Recording();
    IllegalStateException boom = new IllegalStateException("boom");
    Probe probe = new Probe(null, new Timeline(Duration.ofMillis(100), Duration.ofSeconds(1)));
    probe.failed().start(0);
    new OpenLoop(clock, Runnable::run).run(OpenLoop.Schedule.rate(1_000, Duration.ofMillis(2)), 0, i -> {
      if (i == 1) {
        throw boom;
      }
    }, (index, intended, started, ended, error) -> {
      seen.completed(index, intended, started, ended, error);
      probe.completed(index, intended, started, ended, error);
    }, Duration.ZERO);
    assertNull(seen.done.get(0L).error());
    assertSame(boom, seen.done.get(1L).error());
    assertEquals(1, probe.errors());
    assertEquals(1, probe.failed().get(0));
  }
}
