/**
 * Writing, apart from measuring. A scenario returns what it measured; these write it: {@link
 * stampede.report.MarkdownWriter} renders its page from a Mustache template (the prose) and the values it measured,
 * formatted alike by {@link stampede.report.Table}; {@link stampede.report.ChartWriter} draws its
 * {@link stampede.report.ChartSpec} with XChart; {@link stampede.report.JsonWriter} writes the numbers behind the
 * pages with Jackson. {@link stampede.report.MachineInfo} says where a run happened.
 */
package stampede.report;
