package stampede.scenarios;

import stampede.core.Ticker;

/**
 * {@link Ticker#system()}, except while held: then it reads one fixed instant. The midnight scenario writes a million
 * entries through the strategies while it is held ({@link #hold()}: now), so they are all written at one instant of
 * the store's clock and expire together (without jitter), though writing them takes seconds. The locking scenario
 * holds it in the past ({@link #holdAt}) so that keys with a long TTL are written "a TTL ago" and have just expired
 * when it releases. It stays monotonic as long as it is held in the past only before anything has read it: after
 * {@link #release()} it reads the system clock again, which is later than any held instant.
 */
public final class HoldableTicker implements Ticker {
  private volatile long held;
  private volatile boolean holding;

  @Override
  public long read() {
    return holding ? held : System.nanoTime();
  }

  /** Holds the clock at now; returns that instant. */
  public long hold() {
    held = System.nanoTime();
    holding = true;
    return held;
  }

  /**
   * Holds the clock at {@code nanoTime} (a {@link System#nanoTime()} reading, at most now). Call it before anything
   * reads this ticker, or the clock would step back.
   */
  public void holdAt(long nanoTime) {
    if (nanoTime - System.nanoTime() > 0) {
      throw new IllegalArgumentException("hold in the past or now, not in the future");
    }
    held = nanoTime;
    holding = true;
  }

  public void release() {
    holding = false;
  }
}
