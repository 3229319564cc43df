package stampede.strategies;

import java.time.Duration;
import stampede.core.Fill;

/** A closed {@link CircuitBreaker} keeps the {@link Fill} contract (its threshold is far above these failures). */
class CircuitBreakerContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return CircuitBreaker.builder(inner).failureThreshold(1000).openFor(Duration.ofSeconds(5)).metrics(metrics)
        .ticker(ticker).build();
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
