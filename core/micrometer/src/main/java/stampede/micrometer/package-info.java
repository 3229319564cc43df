/**
 * Strategy metrics on Micrometer: {@link stampede.micrometer.MicrometerMetrics} binds every
 * {@link stampede.core.Event} to a meter (Micrometer's cache meter names where the meaning is the same) and exports
 * the three {@link stampede.core.Alerts} as gauges. Depends on the SPI and {@code micrometer-core} only.
 */
package stampede.micrometer;
