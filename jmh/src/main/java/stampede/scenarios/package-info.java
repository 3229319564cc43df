/**
 * The open-loop scenarios: measuring only. {@link stampede.scenarios.ScenarioRunner} runs a plan of scenarios; each
 * {@link stampede.scenarios.Scenario} drives its contenders through the load generator ({@link
 * stampede.scenarios.OpenLoop}, {@link stampede.scenarios.CallerPool}), records with {@link stampede.scenarios.Probe},
 * {@link stampede.scenarios.Meter} and {@link stampede.scenarios.Timeline}, and returns a record of what it measured
 * ({@link stampede.scenarios.Measured}); {@link stampede.scenarios.ScenarioWriter} hands it to the writers of
 * {@code stampede.report}. Each scenario's page prose is its template, {@code <id>.mustache}, in the resources under
 * this package's path.
 */
package stampede.scenarios;
