/**
 * Writing, apart from measuring: the Markdown tables' number formats ({@link stampede.report.Table}), the charts
 * ({@link stampede.report.Charts}, XChart) and where a run happened ({@link stampede.report.MachineInfo}).
 */
package stampede.report;
