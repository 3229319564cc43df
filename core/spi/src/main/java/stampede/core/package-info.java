/**
 * The SPI every strategy stands on, with no dependencies at all: {@link stampede.core.LoadingStrategy} (what a
 * caller uses), {@link stampede.core.Loader} (the source of truth), {@link stampede.core.Fill} (the miss path
 * strategies compose along; its javadoc draws the nesting), {@link stampede.core.Entry}, the
 * {@link stampede.core.CacheStore} and {@link stampede.core.Locks} ports, {@link stampede.core.Ticker},
 * {@link stampede.core.Ttl}, {@link stampede.core.Metrics} with {@link stampede.core.Event} and
 * {@link stampede.core.Counters}, {@link stampede.core.Alerts} (the three alerts monitoring raises), the exceptions,
 * {@link stampede.core.StoreFill}, the innermost fill, and {@link stampede.core.Nullable} (what may be null).
 *
 * <p>A strategy copied into another project needs only the files of this package its javadoc lists.
 */
package stampede.core;
