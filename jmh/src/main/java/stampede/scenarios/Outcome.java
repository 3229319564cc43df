package stampede.scenarios;

import java.util.Map;

/**
 * One scenario's run, as the runner saw it: what it measured (null if it failed), why it failed (null if it did
 * not), how long it took, with how many caller threads, and what {@code stampede-micrometer} recorded meanwhile.
 */
record Outcome(String id, Measured measured, Throwable failure, double seconds, int callerThreads,
    Map<String, Long> meters) {

  boolean failed() {
    return failure != null;
  }
}
