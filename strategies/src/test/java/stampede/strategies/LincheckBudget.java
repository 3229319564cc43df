package stampede.strategies;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;

/**
 * How much the Lincheck tests explore: light by default, so {@code mvn verify} stays quick, deeper on demand with
 * {@code -Dlincheck.iterations=N} (scenarios per test) and {@code -Dlincheck.invocations=N} (interleavings per
 * scenario, and per {@code runConcurrentTest}). A test may scale them where its race needs a deeper search.
 */
final class LincheckBudget {
  private LincheckBudget() { }

  static int iterations() {
    return Integer.getInteger("lincheck.iterations", 6);
  }

  static int invocations() {
    return Integer.getInteger("lincheck.invocations", 100);
  }

  /** Model checking with this budget, both scaled by {@code factor}. */
  static ModelCheckingOptions modelChecking(int factor) {
    return new ModelCheckingOptions().iterations(factor * iterations()).invocationsPerIteration(factor
        * invocations());
  }

  /** {@link Lincheck#runConcurrentTest} with this budget. */
  static void runConcurrentTest(Runnable test) {
    Lincheck.runConcurrentTest(invocations(), test);
  }
}
