package stampede.strategies;

import static stampede.strategies.Concurrently.check;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link CircuitBreaker}'s state machine: {@code Lincheck.runConcurrentTest} runs each scenario
 * under every schedule it explores (the breaker's two synchronized sections with the load between them), and the
 * assertions state the contract that no schedule may break:
 * <ul>
 *   <li>half-open lets exactly one trial load through until its outcome, and a failed trial reopens it;</li>
 *   <li>failures are counted one each: two concurrent failures reach a threshold of two;</li>
 *   <li>a caller's own cancellation ({@link InterruptedLoadException}) is no failure: it neither opens a closed
 *       breaker nor reopens a half-open one, whoever runs when.</li>
 * </ul>
 */
class CircuitBreakerLincheckTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);

  private final ManualTicker ticker = new ManualTicker();

  /** A call through {@code breaker} whose load does {@code outcome}: "ok", "failed", "rejected" or "interrupted". */
  private static String call(CircuitBreaker<String, String> breaker, String outcome, AtomicInteger loads) {
    try {
      breaker.fill("k", null, 0, key -> {
        loads.incrementAndGet();
        switch (outcome) {
          case "fail" -> throw new IOException("database down");
          case "interrupt" -> throw new InterruptedException("the caller was cancelled");
          default -> {
            return "v";
          }
        }
      });
      return "ok";
    } catch (InterruptedLoadException e) {
      Thread.interrupted(); // this thread's status: the check is on the breaker
      return "interrupted";
    } catch (LoadException e) {
      return "failed";
    } catch (RejectedException e) {
      return "rejected";
    }
  }

  /** A breaker whose loads fail through {@code fill} (a StoreFill's wrapping) at once, on the manual ticker. */
  private CircuitBreaker<String, String> breaker(int threshold) {
    return CircuitBreaker.<String, String>builder((key, seen, fence, loader) -> {
      try {
        return loader.load(key);
      } catch (Exception e) {
        throw LoadException.wrap(key, e);
      }
    }).failureThreshold(threshold).openFor(OPEN_FOR).metrics(Metrics.none()).ticker(ticker).build();
  }

  @Test
  void halfOpenLetsOneTrialThrough() {
    LincheckBudget.runConcurrentTest(() -> {
      CircuitBreaker<String, String> breaker = breaker(1);
      AtomicInteger loads = new AtomicInteger();
      call(breaker, "fail", loads); // opens it
      ticker.advance(OPEN_FOR);
      loads.set(0);
      Concurrently.run(() -> call(breaker, "fail", loads), () -> call(breaker, "fail", loads));
      check(loads.get() == 1, loads.get() + " trial loads ran while half-open; a failed trial reopens it: expected 1");
      check(breaker.state() == CircuitBreaker.State.OPEN, "a failed trial left it " + breaker.state());
    });
  }

  @Test
  void concurrentFailuresAreEachCounted() {
    LincheckBudget.runConcurrentTest(() -> {
      CircuitBreaker<String, String> breaker = breaker(2);
      AtomicInteger loads = new AtomicInteger();
      Concurrently.run(() -> call(breaker, "fail", loads), () -> call(breaker, "fail", loads));
      check(breaker.state() == CircuitBreaker.State.OPEN, "two failures with a threshold of 2 left it "
          + breaker.state());
    });
  }

  @Test
  void interruptedCallersNeverOpenIt() {
    LincheckBudget.runConcurrentTest(() -> {
      CircuitBreaker<String, String> breaker = breaker(1);
      AtomicInteger loads = new AtomicInteger();
      String[] healthy = new String[1];
      Concurrently.run(() -> call(breaker, "interrupt", loads), () -> healthy[0] = call(breaker, "ok", loads));
      check(breaker.state() == CircuitBreaker.State.CLOSED, "an interrupted caller left it " + breaker.state()
          + " (threshold 1, the database healthy)");
      check("ok".equals(healthy[0]), "a healthy caller beside an interrupted one got " + healthy[0]);
    });
  }

  @Test
  void anInterruptedTrialDoesNotReopenIt() {
    LincheckBudget.runConcurrentTest(() -> {
      CircuitBreaker<String, String> breaker = breaker(1);
      AtomicInteger loads = new AtomicInteger();
      call(breaker, "fail", loads); // opens it
      ticker.advance(OPEN_FOR);
      Concurrently.run(() -> call(breaker, "interrupt", loads), () -> call(breaker, "ok", loads));
      check(breaker.state() != CircuitBreaker.State.OPEN, "an interrupted trial beside a healthy caller left it "
          + "OPEN: the trial said nothing about the database");
      check("ok".equals(call(breaker, "ok", loads)), "the next healthy call after them was refused");
      check(breaker.state() == CircuitBreaker.State.CLOSED, "a successful call left it " + breaker.state());
    });
  }
}
