/**
 * The published JMH tables: {@link stampede.jmh.report.ResultsReport} reads JMH's JSON (with Jackson) and writes one
 * Markdown table per benchmark into {@code results/}, stamped with {@link stampede.report.MachineInfo}.
 */
package stampede.jmh.report;
