package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admission rule of {@link PrioritySlots}, class 0 the highest: a class within its guarantee is admitted at once
 * whatever the lower classes hold; an unused share is lent; the total never exceeds the limit; a released slot goes
 * to the best waiter; an interrupted waiter takes nothing. Most checks are single-threaded (no wait: deterministic).
 */
class PrioritySlotsTest {
  private static final int CRITICAL = 0;
  private static final int DEFAULT = 1;
  private static final int BULK = 2;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private static int takeAll(PrioritySlots slots, int c) throws InterruptedException {
    int n = 0;
    while (slots.acquire(c, 0)) {
      n++;
    }
    return n;
  }

  @Test
  void aHigherClassWithinItsGuaranteeIsAdmittedWhateverTheLowerClassesHold() throws Exception {
    PrioritySlots slots = new PrioritySlots(new int[] {20, 50, 10}, 10); // guarantees 2, 5, 1
    assertEquals(3, takeAll(slots, BULK), "BULK: its 1 and the 2 unreserved; CRITICAL's 2 and DEFAULT's 5 held");
    assertEquals(5, takeAll(slots, DEFAULT), "DEFAULT: up to CRITICAL's unused 2");
    assertEquals(2, takeAll(slots, CRITICAL), "CRITICAL: its whole guarantee, with no wait");
    assertEquals(10, slots.inUse());
  }

  @Test
  void anUnusedShareIsLentAndTheLimitIsNeverExceeded() throws Exception {
    PrioritySlots slots = new PrioritySlots(new int[] {20, 50, 10}, 10);
    assertEquals(8, takeAll(slots, DEFAULT), "DEFAULT past its 5: BULK's idle 1 and the 2 unreserved");
    slots.release(DEFAULT);
    slots.release(DEFAULT);
    assertEquals(4, takeAll(slots, CRITICAL), "CRITICAL past its 2: whatever is free");
    assertEquals(10, slots.inUse());
    assertFalse(slots.acquire(BULK, 0));
  }

  @Test
  void randomTrafficNeverRefusesCriticalWithinItsGuaranteeNorExceedsTheLimit() throws Exception {
    Random random = new Random(22);
    int[] shares = {20, 50, 10};
    PrioritySlots slots = new PrioritySlots(shares, 10);
    List<Integer> held = new ArrayList<>();
    int critical = 0;
    for (int step = 0; step < 20_000; step++) {
      if (step % 500 == 0) { // as an adaptive limit moves it (a smaller limit with loads running is another test)
        held.forEach(slots::release);
        held.clear();
        slots.limit(1 + random.nextInt(20));
      }
      if (!held.isEmpty() && random.nextInt(3) == 0) {
        slots.release(held.remove(random.nextInt(held.size())));
        continue;
      }
      int c = random.nextInt(3);
      boolean within = slots.inUse(c) < slots.limit() * shares[c] / 100;
      int before = slots.inUse();
      if (slots.acquire(c, 0)) {
        held.add(c);
        assertTrue(before < slots.limit(), "step " + step + ": took a slot past the limit " + slots.limit());
      } else if (c == CRITICAL && within) {
        throw new AssertionError("step " + step + ": CRITICAL refused within its guarantee, " + before + " of "
            + slots.limit() + " taken: " + slots.inUse(DEFAULT) + " DEFAULT, " + slots.inUse(BULK) + " BULK");
      }
      critical += c == CRITICAL && within ? 1 : 0;
    }
    assertTrue(critical > 200, "CRITICAL loads within their guarantee: " + critical);
  }

  @Test
  void aReleasedSlotGoesToTheHighestWaiterNotTheFirst() throws Exception {
    PrioritySlots slots = new PrioritySlots(new int[] {0, 0, 0}, 1);
    assertTrue(slots.acquire(BULK, 0));
    CompletableFuture<Boolean> bulk = waiter(slots, BULK);
    CompletableFuture<Boolean> critical = waiter(slots, CRITICAL);
    slots.release(BULK);
    assertTrue(critical.get(10, TimeUnit.SECONDS), "the CRITICAL waiter gets the slot");
    assertFalse(bulk.isDone(), "the BULK waiter, there first, still waits");
    slots.release(CRITICAL);
    assertTrue(bulk.get(10, TimeUnit.SECONDS), "then the BULK waiter gets it");
  }

  @Test
  void aClassUnderItsGuaranteeIsServedBeforeAHigherClassOverIts() throws Exception {
    PrioritySlots slots = new PrioritySlots(new int[] {50, 0, 50}, 2); // guarantees 1, 0, 1
    assertTrue(slots.acquire(CRITICAL, 0));
    assertTrue(slots.acquire(CRITICAL, 0)); // BULK's idle share lent to CRITICAL
    CompletableFuture<Boolean> bulk = waiter(slots, BULK);
    CompletableFuture<Boolean> critical = waiter(slots, CRITICAL);
    slots.release(CRITICAL);
    assertTrue(bulk.get(10, TimeUnit.SECONDS), "BULK, under its guarantee, gets the slot back");
    assertFalse(critical.isDone(), "CRITICAL, over its guarantee, still waits");
    slots.release(CRITICAL);
    assertTrue(critical.get(10, TimeUnit.SECONDS));
  }

  @Test
  void anInterruptedWaiterTakesNoSlotAndBlocksNoOne() throws Exception {
    PrioritySlots slots = new PrioritySlots(new int[] {0, 0, 0}, 1);
    assertTrue(slots.acquire(BULK, 0));
    AtomicReference<Thread> thread = new AtomicReference<>();
    CompletableFuture<Object> interrupted = CompletableFuture.supplyAsync(() -> {
      thread.set(Thread.currentThread());
      try {
        return slots.acquire(CRITICAL, TimeUnit.SECONDS.toNanos(30));
      } catch (InterruptedException e) {
        return e;
      }
    }, pool);
    while (thread.get() == null || thread.get().getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
    thread.get().interrupt();
    assertTrue(interrupted.get(10, TimeUnit.SECONDS) instanceof InterruptedException);
    slots.release(BULK);
    assertEquals(0, slots.inUse());
    assertTrue(slots.acquire(BULK, 0), "the interrupted CRITICAL waiter left no claim behind");
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    assertEquals("shares must add up to at most 100%: [50, 60, 10] = 120%", assertThrows(
        IllegalArgumentException.class, () -> new PrioritySlots(new int[] {50, 60, 10}, 10)).getMessage());
    assertEquals("share of class 2 must be between 0% and 100%: -1%", assertThrows(
        IllegalArgumentException.class, () -> new PrioritySlots(new int[] {50, 10, -1}, 10)).getMessage());
    assertEquals("limit must be at least 1: 0", assertThrows(
        IllegalArgumentException.class, () -> new PrioritySlots(new int[] {50, 10, 10}, 0)).getMessage());
    assertThrows(IllegalStateException.class, () -> new PrioritySlots(new int[] {10}, 1).release(0));
  }

  /** A waiter of class {@code c} (30 s at most), returned once it waits. */
  private CompletableFuture<Boolean> waiter(PrioritySlots slots, int c) {
    AtomicReference<Thread> thread = new AtomicReference<>();
    CompletableFuture<Boolean> result = CompletableFuture.supplyAsync(() -> {
      thread.set(Thread.currentThread());
      try {
        return slots.acquire(c, TimeUnit.SECONDS.toNanos(30));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, pool);
    while (thread.get() == null || thread.get().getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
    return result;
  }
}
