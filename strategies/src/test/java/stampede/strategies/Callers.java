package stampede.strategies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Runs C callers released together by a start gate, and collects what each got (a value or a throwable). */
final class Callers {
  private Callers() { }

  /** Each element is the caller's value, or the Throwable it ended with. */
  static List<Object> run(int callers, Supplier<?> call) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      CountDownLatch ready = new CountDownLatch(callers);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Object>> futures = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          try {
            return call.get();
          } catch (RuntimeException e) {
            return e;
          }
        }));
      }
      ready.await();
      go.countDown();
      List<Object> results = new ArrayList<>();
      for (Future<Object> f : futures) {
        try {
          results.add(f.get(30, TimeUnit.SECONDS));
        } catch (Exception e) {
          throw new AssertionError("a caller hung or failed outside the strategy", e);
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
