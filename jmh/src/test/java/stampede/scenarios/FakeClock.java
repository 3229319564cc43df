package stampede.scenarios;

import java.util.ArrayList;
import java.util.List;

/** A clock moved by hand: sleeping jumps to the deadline at once, and every sleep is recorded. */
final class FakeClock implements OpenLoop.Clock {
  private long now;
  final List<Long> sleeps = new ArrayList<>();

  FakeClock(long start) {
    this.now = start;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void sleepUntil(long deadline) {
    sleeps.add(deadline);
    now = Math.max(now, deadline);
  }

  synchronized void advance(long nanos) {
    now += nanos;
  }

  synchronized void set(long nanos) {
    now = nanos;
  }
}
