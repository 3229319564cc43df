package stampede.strategies;

import java.time.Duration;
import stampede.core.Fill;
import stampede.strategies.PriorityShedder.Priority;

/** A {@link PriorityShedder} with room for every caller keeps the {@link Fill} contract. */
class PriorityShedderContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return PriorityShedder.builder(inner).limit(CALLERS).metrics(metrics).ticker(ticker)
        .maxQueueWait(Priority.DEFAULT, Duration.ofSeconds(5)).build();
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
