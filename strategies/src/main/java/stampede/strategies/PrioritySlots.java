package stampede.strategies;

import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Load slots shared by priority classes, {@link PriorityShedder}'s admission: at most {@code limit} slots are taken at
 * once; class {@code c} (0 the highest) is guaranteed {@code floor(limit x share[c] / 100)} of them; what a class does
 * not use is lent, upward only, in priority order.
 *
 * <p>The rule, one check per acquire: class {@code c} takes a slot if, after taking it, the slots still free cover the
 * unused guarantees of every class above it. So a higher class always finds its unused guarantee free, whatever the
 * lower classes hold (trunk reservation: a lower class may not take the last free slots a higher one is promised); a
 * lower class's idle share and the unreserved rest ({@code 100% - sum of shares}) go to whoever asks. A caller that
 * finds no slot waits at most its class's wait (never in an unbounded queue); each released slot goes to the best
 * waiter that may take it: first a class under its guarantee (so the lowest class still gets its share under a flood
 * from above), then the highest class. Within a class, no order is promised.
 *
 * <p><b>Prevents:</b> an overload that refuses a checkout and a batch job alike: under overload the lowest classes
 * are refused first, a higher class within its guarantee is admitted at once.
 *
 * <p><b>Pick it when</b> you write your own prioritised admission; {@link PriorityShedder} is the {@code Fill} on it.
 *
 * <p><b>Costs:</b> one {@link ReentrantLock} section per acquire and release (a loop over the classes); the unused
 * guarantees of higher classes stay free even when lower classes wait: a share is capacity held back for its class.
 * A smaller {@link #limit(int)} lets the loads running finish; new ones wait until the total is under it.
 *
 * <p><b>Source:</b> trunk reservation in loss networks (Key, "Optimal control and trunk reservation in loss
 * networks", Probability in the Engineering and Informational Sciences 4(2), 1990); shares of one limit as Netflix's
 * {@code concurrency-limits} {@code AbstractPartitionedLimiter} reserves them per partition.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class PrioritySlots {
  private final int[] shares; // percent of the limit guaranteed to each class, 0 the highest
  private final int[] inUse;
  private final int[] waiting;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition[] turn; // one per class: a released slot wakes one waiter of the best class
  private int total;
  private int limit;

  /**
   * @param sharesPercent the guaranteed share of each class in percent, highest class first, adding up to at most 100
   * @param limit         slots at once, at least 1
   */
  public PrioritySlots(int[] sharesPercent, int limit) {
    this.shares = sharesPercent.clone();
    int sum = 0;
    for (int i = 0; i < shares.length; i++) {
      if (shares[i] < 0 || shares[i] > 100) {
        throw new IllegalArgumentException("share of class " + i + " must be between 0% and 100%: " + shares[i] + "%");
      }
      sum += shares[i];
    }
    if (shares.length == 0 || sum > 100) {
      throw new IllegalArgumentException("shares must add up to at most 100%: " + Arrays.toString(shares) + " = "
          + sum + "%");
    }
    this.inUse = new int[shares.length];
    this.waiting = new int[shares.length];
    this.turn = new Condition[shares.length];
    for (int i = 0; i < turn.length; i++) {
      turn[i] = lock.newCondition();
    }
    limit(limit);
  }

  /**
   * Takes a slot for class {@code c}, waiting at most {@code waitNanos} (0: never waits).
   *
   * @return false if none could be had in time
   * @throws InterruptedException if the caller was interrupted while it waited (no slot taken)
   */
  public boolean acquire(int c, long waitNanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      if (admissible(c, false)) {
        take(c);
        return true;
      }
      if (waitNanos <= 0) {
        return false;
      }
      waiting[c]++;
      boolean taken = false;
      try {
        for (long left = waitNanos; ; ) {
          left = turn[c].awaitNanos(left);
          if (admissible(c, true)) {
            take(c);
            taken = true;
            return true;
          }
          if (left <= 0) {
            return false;
          }
        }
      } finally {
        waiting[c]--;
        if (!taken) {
          wakeBest(); // a wake-up this caller consumed, or the queue it held, passes on
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Gives back a slot of class {@code c}. */
  public void release(int c) {
    lock.lock();
    try {
      if (inUse[c] == 0) {
        throw new IllegalStateException("class " + c + " holds no slot");
      }
      inUse[c]--;
      total--;
      wakeBest();
    } finally {
      lock.unlock();
    }
  }

  /** Sets the number of slots (an adaptive limit moves it); at least 1. */
  public void limit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    lock.lock();
    try {
      boolean more = limit > this.limit;
      this.limit = limit;
      if (more) {
        for (Condition t : turn) {
          t.signalAll();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** The number of slots now. */
  public int limit() {
    return locked(() -> limit);
  }

  /** Slots taken now by class {@code c} (for tests and monitoring). */
  public int inUse(int c) {
    return locked(() -> inUse[c]);
  }

  /** Slots taken now, all classes (for tests and monitoring). */
  public int inUse() {
    return locked(() -> total);
  }

  private int locked(IntSupplier read) {
    lock.lock();
    try {
      return read.getAsInt();
    } finally {
      lock.unlock();
    }
  }

  private int guarantee(int c) {
    return (int) ((long) limit * shares[c] / 100);
  }

  /** A slot is free for {@code c} beyond the unused guarantees of the classes above it. */
  private boolean canTake(int c) {
    int reserved = 0;
    for (int h = 0; h < c; h++) {
      reserved += Math.max(0, guarantee(h) - inUse[h]);
    }
    return total + 1 + reserved <= limit;
  }

  /** Lower is served first: a class under its guarantee, then by class. */
  private int rank(int c) {
    return (inUse[c] < guarantee(c) ? 0 : shares.length) + c;
  }

  /** {@code c} may take a slot now, and no better-ranked waiter that could take it is waiting. */
  private boolean admissible(int c, boolean selfWaiting) {
    if (!canTake(c)) {
      return false;
    }
    for (int w = 0; w < shares.length; w++) {
      int others = waiting[w] - (selfWaiting && w == c ? 1 : 0);
      if (others > 0 && rank(w) < rank(c) && canTake(w)) {
        return false;
      }
    }
    return true;
  }

  private void take(int c) {
    inUse[c]++;
    total++;
  }

  /** Wakes one waiter of the best-ranked class that may take a slot now. */
  private void wakeBest() {
    int best = -1;
    for (int w = 0; w < shares.length; w++) {
      if (waiting[w] > 0 && canTake(w) && (best < 0 || rank(w) < rank(best))) {
        best = w;
      }
    }
    if (best >= 0) {
      turn[best].signal();
    }
  }
}
