package stampede.strategies;

import java.time.Duration;
import stampede.core.Fill;

/** A {@link LoadShedder} with room for every caller keeps the {@link Fill} contract. */
class LoadShedderContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return LoadShedder.builder(inner).maxConcurrentLoads(CALLERS).maxQueueWait(Duration.ofSeconds(5)).metrics(metrics)
        .build();
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
