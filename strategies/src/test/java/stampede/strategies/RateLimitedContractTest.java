package stampede.strategies;

import stampede.core.Fill;

/** A {@link RateLimited} fill within its limit keeps the {@link Fill} contract. */
class RateLimitedContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return RateLimited.builder(inner, () -> "client").metrics(metrics).ticker(ticker).limit(1000, 1).build();
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
