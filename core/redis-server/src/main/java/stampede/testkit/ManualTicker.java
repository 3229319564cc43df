package stampede.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import stampede.core.Ticker;

/** A {@link Ticker} that moves only when told to; thread-safe. For deterministic tests. */
public final class ManualTicker implements Ticker {
  private final AtomicLong nanos;

  public ManualTicker() {
    this(1_000_000_000L);
  }

  public ManualTicker(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long read() {
    return nanos.get();
  }

  public void advance(Duration d) {
    advance(d.toNanos());
  }

  public void advance(long deltaNanos) {
    if (deltaNanos < 0) {
      throw new IllegalArgumentException("time does not go back: " + deltaNanos);
    }
    nanos.addAndGet(deltaNanos);
  }

  public void set(long value) {
    nanos.set(value);
  }
}
