package stampede.scenarios;

import java.util.Map;
import java.util.Objects;
import stampede.core.Nullable;

/**
 * One scenario's run, as the runner saw it: what it measured (null if it failed), why it failed (null if it did
 * not), how long it took, with how many caller threads, and what {@code stampede-micrometer} recorded meanwhile.
 */
record Outcome(String id, @Nullable Measured measured, @Nullable Throwable failure, double seconds, int callerThreads,
    Map<String, Long> meters) {

  boolean failed() {
    return failure != null;
  }

  /** What it measured, for an outcome that did not fail. */
  Measured ok() {
    return Objects.requireNonNull(measured, () -> "no measure of a failed scenario: " + failure);
  }
}
