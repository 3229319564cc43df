package stampede.strategies;

import stampede.core.Fill;
import stampede.core.StoreFill;

/** {@link StoreFill}, the innermost fill, keeps the {@link Fill} contract: it loads as told and writes the fence. */
class StoreFillContractTest extends FillContractTest {
  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    return storeFill();
  }

  @Override
  boolean callsInner() {
    return false;
  }

  @Override
  boolean coalesces() {
    return false;
  }
}
