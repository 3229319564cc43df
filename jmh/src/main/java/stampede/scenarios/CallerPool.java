package stampede.scenarios;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import stampede.core.Nullable;

/**
 * The callers of the open-loop scenarios: a fixed set of pre-started platform threads with small stacks, one per
 * request running at a time. A caller blocked on a load (or on another caller's load) parks its thread, so the
 * number of threads is the number of requests that can be in flight at once. JDK 17 has no virtual threads; platform
 * threads with 256 KB stacks make 10,000 concurrent callers affordable (stacks are reserved, and only the pages
 * touched are committed).
 *
 * <p><b>Hand-over.</b> A request goes straight to the idle caller that went idle last (a LIFO stack of parked
 * callers: its stack and caches are warm), which is unparked; with no caller idle it waits in a FIFO queue that
 * every caller drains before it parks again. So a busy pool takes requests without any unpark, and an idle one
 * wakes exactly one thread per request. {@link java.util.concurrent.ThreadPoolExecutor} was measured first and
 * dropped: with thousands of threads parked on one condition, each wakes the longest-parked (coldest) thread and
 * hand-overs cascade one wake-up at a time; at 100,000 requests/s its no-op latency p50 was 14 ms with 2,000 threads,
 * against 0.08 ms here with 10,000 (2-core machine).
 *
 * <p><b>Size.</b> 10,000 by default: the callers sweep's largest point, and twice the 5,000 callers that 100,000
 * requests/s put on a 50 ms load. Requests beyond it queue, which shows up as latency (the open loop measures from
 * the intended start) and as {@link #peak()} reaching {@link #size()}: the tables flag such a run ("caller pool
 * exhausted") instead of hiding it. Threads are started once, up front (about 0.6 ms each on the 2-core machine), so
 * creating them never delays a schedule.
 */
public final class CallerPool implements Executor, AutoCloseable {
  /** Stack size of a caller thread: the strategies' call depth needs far less. */
  public static final long STACK_BYTES = 256 * 1024;

  private static final int IDLE = 0;
  private static final int CLAIMED = 1;
  private static final int RUNNING = 2;

  private final int size;
  private final ConcurrentLinkedDeque<Caller> idle = new ConcurrentLinkedDeque<>();
  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();
  private final Caller[] callers;
  private volatile boolean open = true;

  /** One caller thread: runs its hand-over, then whatever is queued, then parks on the idle stack. */
  private final class Caller implements Runnable {
    final AtomicInteger state = new AtomicInteger(RUNNING);
    volatile @Nullable Runnable handedOver;
    @Nullable Thread thread;

    @Override
    public void run() {
      Runnable request = null;
      while (open) {
        if (request != null) {
          runOne(request);
          request = null;
          continue;
        }
        request = queue.poll();
        if (request != null) {
          continue;
        }
        state.set(IDLE);
        idle.offerFirst(this);
        // a request queued between the poll above and the push has seen no idle caller: look again
        request = queue.poll();
        if (request != null) {
          if (state.compareAndSet(IDLE, RUNNING)) {
            continue; // our entry on the idle stack is now stale: execute() skips callers that are not IDLE
          }
          execute(request); // claimed meanwhile: pass the request on, then take the one handed to us
          request = null;
        }
        while ((request = handedOver) == null && open) {
          LockSupport.park(this);
        }
        handedOver = null;
        state.set(RUNNING);
      }
    }
  }

  public CallerPool(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size < 1: " + size);
    }
    this.size = size;
    this.callers = new Caller[size];
    for (int i = 0; i < size; i++) {
      Caller c = new Caller();
      c.thread = new Thread(null, c, "caller-" + (i + 1), STACK_BYTES);
      c.thread.setDaemon(true);
      callers[i] = c;
      c.thread.start();
    }
  }

  @Override
  public void execute(Runnable request) {
    if (!open) {
      throw new IllegalStateException("closed");
    }
    for (Caller c; (c = idle.pollFirst()) != null; ) {
      if (c.state.compareAndSet(IDLE, CLAIMED)) {
        c.handedOver = request;
        LockSupport.unpark(c.thread);
        return;
      }
    }
    queue.offer(request); // every caller is busy; a caller going idle right now re-checks the queue
  }

  private void runOne(Runnable request) {
    peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      request.run();
    } catch (RuntimeException | Error e) {
      // the request's own business (OpenLoop catches everything a call throws); the caller lives on
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** Threads in the pool. */
  public int size() {
    return size;
  }

  /** Requests running now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** The most requests that ran at once since the last {@link #resetPeak()}. */
  public int peak() {
    return peak.get();
  }

  /** True if every thread was busy at some point since the last reset (later requests queued for one). */
  public boolean exhausted() {
    return peak.get() >= size;
  }

  public void resetPeak() {
    peak.set(inFlight.get());
  }

  @Override
  public void close() {
    open = false;
    for (Caller c : callers) {
      LockSupport.unpark(c.thread);
    }
  }
}
