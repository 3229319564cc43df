package stampede.strategies;

import stampede.core.Fill;

/** {@link SingleFlight} keeps the {@link Fill} contract: one load for concurrent callers, its error shared. */
class SingleFlightContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return SingleFlight.builder(f.store, inner).metrics(metrics).build();
  }

  @Override
  boolean coalesces() {
    return true;
  }

  @Override
  int loadsForConcurrentFailure(int callers) {
    return 1;
  }
}
