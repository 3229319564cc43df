package stampede.examples;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny fake database for the examples: each load takes {@code loadTime} (a sleeping thread, never a spin) and is
 * counted, so a test can say how many loads a stampede cost. {@link #fail} makes every load throw, as a database
 * that is down does.
 */
public final class ProductDatabase {
  private final Duration loadTime;
  private final AtomicInteger loads = new AtomicInteger();
  private volatile boolean failing;

  public ProductDatabase() {
    this(Duration.ofMillis(50));
  }

  public ProductDatabase(Duration loadTime) {
    if (loadTime.toMillis() < 1) {
      throw new IllegalArgumentException("a load takes at least 1 ms: " + loadTime);
    }
    this.loadTime = loadTime;
  }

  /** Loads one product: the expensive query the cache protects. */
  public Product load(String sku) throws InterruptedException {
    loads.incrementAndGet();
    Thread.sleep(loadTime.toMillis());
    if (failing) {
      throw new IllegalStateException("database unavailable");
    }
    return new Product(sku, "Product " + sku, 100 + Math.floorMod(sku.hashCode(), 9_900));
  }

  /** How many loads were made so far. */
  public int loads() {
    return loads.get();
  }

  /** From now on every load fails ({@code true}) or succeeds again ({@code false}). */
  public void fail(boolean failing) {
    this.failing = failing;
  }
}
