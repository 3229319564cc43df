package stampede.scenarios;

import stampede.settings.Profile;

/**
 * One open-loop scenario: it runs its strategies side by side in one JVM (one after the other, or at once where it
 * says so) and returns what it measured ({@link Measured}): its rows, series and parameters, and the values of its
 * page template ({@code <id>.mustache} in the resources, next to it). Each implementation documents its parameters
 * per {@link Profile} and ends with the command that runs it alone.
 */
public interface Scenario {

  /** The file name of its table and chart, and its name for {@code -Dscenarios.only}. */
  String id();

  /**
   * Caller threads it needs (the most requests it may have blocked at once, with a margin). Every parked thread
   * costs the garbage collector (its stack is scanned, its allocation buffer wasted), so the runner sizes the pool
   * per scenario rather than giving every scenario the callers sweep's 10,000.
   */
  default int callerThreads(Profile profile) {
    return 2_500;
  }

  /** Measures; the runner writes what it returns (the page from the scenario's template, the chart, the JSON). */
  Measured run(Context ctx) throws Exception;
}
