package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * What every {@link Fill} must do, whatever it decides, on Caffeine and on a real embedded Redis: a loader error
 * reaches every concurrent caller and is not cached; a null key or loader is a {@link NullPointerException} that
 * leaves nothing taken; a null value is a {@link LoadException} and caches nothing; the fence is written with the
 * entry; the {@code seen} entry is passed to the inner fill, and a coalescing fill returns a fresh entry written
 * after {@code seen} instead of loading. One small subclass per fill says how to build it and what it does
 * differently (a lock writes its own fencing token; only coalescing fills double-check the store).
 */
abstract class FillContractTest {
  static final Duration TTL = Duration.ofSeconds(10);
  static final int CALLERS = 8;
  final ManualTicker ticker = new ManualTicker();
  final Counters counters = new Counters();
  /** The fixture of the running test, open while the test runs. */
  StoreFixture<String> f;
  /** The metrics every layer of the fill under test records to. */
  Metrics metrics;
  private final AtomicReference<Entry<String>> innerSeen = new AtomicReference<>();
  private final AtomicInteger innerCalls = new AtomicInteger();
  private final AtomicInteger loads = new AtomicInteger();
  /** Counts callers that are in the fill: loading, coalesced on a load, or waiting for the lock holder. */
  private final CountDownLatch allIn = new CountDownLatch(CALLERS);
  private final Loader<String, String> ok = key -> key + "@v" + loads.incrementAndGet();

  /** The fill under test over {@link #f} and {@link #metrics}, calling {@code inner} (a StoreFill, probed). */
  abstract Fill<String, String> fill(Fill<String, String> inner);

  /** True if the fill double-checks the store before loading (single flight, lock): the coalescing fills. */
  abstract boolean coalesces();

  /** False for the innermost fill, which has no inner fill and calls the loader itself. */
  boolean callsInner() {
    return true;
  }

  /** The fence the written entry carries when the caller passed {@code given}: by default {@code given}. */
  long expectedFence(long given) {
    return given;
  }

  /** How many loads {@code callers} concurrent callers of a failing loader cause: one each, unless coalesced. */
  int loadsForConcurrentFailure(int callers) {
    return callers;
  }

  /**
   * False if the callers that waited for a failed load get a {@link LoadException} of their own (the lock's
   * waiters, possibly on other nodes, learn of the failure from the holder's release, not its exception).
   */
  boolean waitersGetTheLoadersOwnError() {
    return true;
  }

  /** A StoreFill on the fixture, values fresh for {@link #TTL}. */
  StoreFill<String, String> storeFill() {
    return new StoreFill<>(f.store, metrics, Ttl.fixed(TTL));
  }

  private Fill<String, String> open(StoreKind kind) {
    f = kind.open(ticker);
    metrics = counters.and((event, key) -> {
      if (event == Event.LOAD_STARTED || event == Event.LOAD_COALESCED || event == Event.LOCK_WAITED) {
        allIn.countDown();
      }
    });
    StoreFill<String, String> store = storeFill();
    return fill((key, seen, fence, loader) -> {
      innerCalls.incrementAndGet();
      innerSeen.set(seen);
      return store.fill(key, seen, fence, loader);
    });
  }

  @AfterEach
  void close() {
    if (f != null) {
      f.close();
    }
  }

  private Entry<String> entry(String value, long expiresIn) {
    long now = ticker.read();
    return new Entry<>(value, now - TTL.toNanos(), now + expiresIn, 0, 0);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoaderErrorReachesEveryConcurrentCallerAndIsNotCached(StoreKind kind) throws Exception {
    Fill<String, String> fill = open(kind);
    IllegalStateException dbDown = new IllegalStateException("db down");
    AtomicInteger failedLoads = new AtomicInteger();
    Loader<String, String> failing = key -> {
      failedLoads.incrementAndGet();
      allIn.await(10, TimeUnit.SECONDS); // every caller is loading, or waiting for a load
      throw dbDown;
    };
    List<Object> results = Callers.run(CALLERS, () -> fill.fill("k", null, 0, failing));
    assertEquals(0, allIn.getCount(), "the callers were in the fill at the same time: " + counters);
    int own = 0;
    for (Object r : results) {
      LoadException e = assertInstanceOf(LoadException.class, r);
      if (e.getCause() == dbDown) {
        own++;
      } else {
        assertTrue(!waitersGetTheLoadersOwnError(), "the loader's own error, not " + e);
      }
    }
    assertEquals(waitersGetTheLoadersOwnError() ? CALLERS : loadsForConcurrentFailure(CALLERS), own,
        "callers that got the loader's own error");
    assertEquals(loadsForConcurrentFailure(CALLERS), failedLoads.get(), "loads of the failing loader");
    assertNull(f.store.get("k"), "the error is not cached");
    assertEquals("k@v1", fill.fill("k", null, 0, ok), "the next call loads again");
    assertEquals("k@v1", f.store.get("k").value());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNullKeyOrLoaderIsANullPointerExceptionThatTakesNothing(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    assertThrows(NullPointerException.class, () -> fill.fill("k", null, 0, null));
    assertThrows(NullPointerException.class, () -> fill.fill(null, null, 0, ok));
    assertEquals(0, innerCalls.get(), "refused before the inner fill");
    assertEquals(0, counters.get(Event.LOAD_STARTED));
    assertEquals("k@v1", fill.fill("k", null, 0, ok), "nothing was left taken: the next call loads");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoaderReturningNullIsALoadExceptionAndCachesNothing(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    LoadException e = assertThrows(LoadException.class, () -> fill.fill("k", null, 0, key -> null));
    assertTrue(e.getMessage().contains("returned null"), e.getMessage());
    assertNull(f.store.get("k"));
    assertEquals(1, counters.get(Event.LOAD_FAILED));
    assertEquals("k@v1", fill.fill("k", null, 0, ok), "the next call loads again");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theFenceIsWrittenWithTheEntry(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    assertEquals("k@v1", fill.fill("k", null, 7, ok));
    assertEquals(expectedFence(7), f.store.get("k").fence());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theInnerFillReceivesTheSeenEntryTheCallerGave(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    assumeTrue(callsInner(), "the innermost fill has no inner fill to pass seen to");
    Entry<String> seen = entry("old", -1); // stored and stale: nothing newer to return instead
    f.store.put("k", seen);
    assertEquals("k@v1", fill.fill("k", seen, 0, ok));
    assertSame(seen, innerSeen.get());
    assertEquals(1, innerCalls.get());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFreshEntryWrittenAfterSeenIsReturnedByACoalescingFillOnly(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    Entry<String> seen = entry("old", -1); // what the caller read; someone has written "newer" since
    f.store.put("k", entry("newer", TTL.toNanos()));
    f.store.put("j", entry("newer", TTL.toNanos()));
    if (coalesces()) {
      assertEquals("newer", fill.fill("k", seen, 0, ok), "the double-check returns the newer entry");
      assertEquals("newer", fill.fill("j", null, 0, ok), "any fresh entry is newer than none");
      assertEquals(0, loads.get());
    } else {
      assertEquals("k@v1", fill.fill("k", seen, 0, ok), "a fill that does not coalesce loads as told");
      assertEquals("j@v2", fill.fill("j", null, 0, ok));
      assertEquals(2, loads.get());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFreshEntryThatIsTheOneSeenIsLoadedOver(StoreKind kind) {
    Fill<String, String> fill = open(kind);
    Entry<String> seen = entry("old", TTL.toNanos()); // fresh, and the caller wants a newer one (a refresh)
    f.store.put("k", seen);
    assertEquals("k@v1", fill.fill("k", seen, 0, ok));
    assertEquals(1, loads.get());
    assertEquals("k@v1", f.store.get("k").value());
  }
}
