package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

/**
 * A write's own invalidation reaches every near cache on the prefix shortly after the write, also the writer's: a
 * test that counts hits right after a write waits for it first, or a late invalidation drops the copy it just read.
 */
final class Settle {
  private Settle() { }

  /** Runs {@code write}, then waits until each of {@code nears} has received one more invalidation. */
  static void afterWrite(Runnable write, NearCache<?, ?>... nears) {
    long[] before = new long[nears.length];
    for (int i = 0; i < nears.length; i++) {
      before[i] = nears[i].stats().invalidations();
    }
    write.run();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (int i = 0; i < nears.length; i++) {
      while (nears[i].stats().invalidations() == before[i]) {
        assertTrue(System.nanoTime() < deadline, "no invalidation within 5 s: " + nears[i].stats());
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
    }
  }
}
