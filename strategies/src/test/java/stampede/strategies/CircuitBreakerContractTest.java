package stampede.strategies;

import java.time.Duration;
import stampede.core.Fill;

/** A closed {@link CircuitBreaker} keeps the {@link Fill} contract (its threshold is far above these failures). */
class CircuitBreakerContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return new CircuitBreaker<>(inner, 1000, Duration.ofSeconds(5), metrics, ticker);
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
