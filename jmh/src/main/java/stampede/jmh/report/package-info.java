/**
 * The published tables: {@link stampede.jmh.report.ResultsReport} reads JMH's JSON (with Jackson) and writes one
 * Markdown table per benchmark into {@code results/}; {@link stampede.jmh.report.MachineInfo} says which machine,
 * JVM and date produced them.
 */
package stampede.jmh.report;
