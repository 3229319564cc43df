package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CallerPoolTest {

  @Test
  void blockedRequestsEachHoldAThreadAndTheRestQueueUntilOneIsFree() throws Exception {
    try (CallerPool pool = new CallerPool(4)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch running = new CountDownLatch(4);
      CountDownLatch done = new CountDownLatch(6);
      for (int i = 0; i < 6; i++) {
        pool.execute(() -> {
          running.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          done.countDown();
        });
      }
      assertTrue(running.await(10, TimeUnit.SECONDS), "four run at once");
      Thread.sleep(50);
      assertEquals(4, pool.inFlight(), "the other two wait for a thread");
      assertTrue(pool.exhausted());
      release.countDown();
      assertTrue(done.await(10, TimeUnit.SECONDS), "and run once threads are free");
      assertEquals(4, pool.peak());
    }
  }

  @Test
  void manyShortRequestsAllRunAndAFailingOneDoesNotKillItsThread() throws Exception {
    try (CallerPool pool = new CallerPool(8)) {
      int n = 20_000;
      AtomicInteger ran = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        int k = i;
        pool.execute(() -> {
          ran.incrementAndGet();
          done.countDown();
          if (k % 1000 == 0) {
            throw new IllegalStateException("a request's own failure");
          }
        });
      }
      assertTrue(done.await(30, TimeUnit.SECONDS));
      assertEquals(n, ran.get());
      pool.resetPeak();
      assertFalse(pool.exhausted());
    }
  }
}
