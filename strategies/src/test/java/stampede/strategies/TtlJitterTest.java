package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * TTL jitter, the {@link stampede.core.Ttl} of a StoreFill, on Caffeine and a real Redis: the jittered TTL stays in
 * {@code [base(1-f), base(1+f)]} (a property), its edges are exact, keys loaded together expire spread evenly over
 * the window, a value hits until its jittered expiry, and the fill writes the jittered entry with its fence and
 * caches no failure.
 */
class TtlJitterTest {
  private static final Duration BASE = Duration.ofSeconds(100);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

  private StoreFill<String, String> jittered(CacheStore<String, String> store, double fraction, DoubleSupplier u) {
    return new StoreFill<>(store, counters, new TtlJitter<>(BASE, fraction, u));
  }

  private CacheAside<String, String> path(CacheStore<String, String> store, double fraction, DoubleSupplier u) {
    return CacheAside.builder(store, jittered(store, fraction, u)).metrics(counters).build();
  }

  @Property
  void ttlStaysWithinTheWindow(@ForAll @LongRange(min = 1, max = 30L * 86_400 * 1_000_000_000) long base,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double fraction,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u) {
    long ttl = TtlJitter.jitteredTtlNanos(base, fraction, u);
    assertTrue(ttl >= base * (1 - fraction) - 1, () -> ttl + " below the window");
    assertTrue(ttl <= base * (1 + fraction) + 1, () -> ttl + " above the window");
    assertTrue(ttl > 0);
  }

  @Test
  void edgesOfTheDraw() {
    long base = BASE.toNanos();
    assertEquals(90_000_000_000L, TtlJitter.jitteredTtlNanos(base, 0.1, 0), "u = 0 gives the low end");
    long top = TtlJitter.jitteredTtlNanos(base, 0.1, Math.nextDown(1.0));
    assertTrue(top >= 110_000_000_000L - 1 && top <= 110_000_000_000L, "u -> 1 gives the high end: " + top);
    assertEquals(base, TtlJitter.jitteredTtlNanos(base, 0.1, 0.5), "u = 0.5 gives the base");
    assertEquals(base, TtlJitter.jitteredTtlNanos(base, 0, 0.99), "fraction 0: no jitter");
    assertThrows(IllegalArgumentException.class, () -> TtlJitter.jitteredTtlNanos(base, 1.0, 0.5));
    assertThrows(IllegalArgumentException.class, () -> TtlJitter.jitteredTtlNanos(base, 0.1, 1.0));
    assertThrows(IllegalArgumentException.class, () -> TtlJitter.jitteredTtlNanos(0, 0.1, 0.5));
    assertEquals(110_000_000_000L, new TtlJitter<String>(BASE, 0.2, () -> 0.75).nanos("k"),
        "100 s * (1 + 0.2 * (2 * 0.75 - 1))");
  }

  @Test
  void configIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new TtlJitter<String>(BASE, -0.1, () -> 0.5));
    assertThrows(IllegalArgumentException.class, () -> new TtlJitter<String>(Duration.ZERO, 0.1, () -> 0.5));
    assertThrows(NullPointerException.class, () -> new TtlJitter<String>(BASE, 0.1, null));
    TtlJitter<String> outOfRange = new TtlJitter<>(BASE, 0.1, () -> 1.0);
    assertThrows(IllegalArgumentException.class, () -> outOfRange.nanos("k"), "a draw must be in [0, 1)");
  }

  /** 1000 keys loaded at the same instant expire spread evenly over [90 s, 110 s], not all at 100 s. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void spreadsExpiriesOfKeysLoadedTogether(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Random seeded = new Random(42);
      CacheAside<String, String> jitter = path(f.store, 0.1, seeded::nextDouble);
      long now = ticker.read();
      long low = now + 90_000_000_000L;
      long width = 20_000_000_000L;
      int keys = 1000;
      int[] buckets = new int[100]; // 1% of the window each
      for (int i = 0; i < keys; i++) {
        jitter.get("k" + i, db);
        long expiry = f.store.get("k" + i).expireTime();
        assertTrue(expiry >= low && expiry <= low + width, "expiry inside the window");
        buckets[(int) Math.min(99, (expiry - low) * 100 / width)]++;
      }
      int fullest = 0;
      int empty = 0;
      for (int b : buckets) {
        fullest = Math.max(fullest, b);
        empty += b == 0 ? 1 : 0;
      }
      assertTrue(fullest <= keys * 3 / 100, "no 1% bucket holds more than 3% of the keys: " + fullest);
      assertTrue(empty <= 2, "expiries cover the window: " + empty + " empty buckets");
      assertEquals(keys, counters.get(Event.LOAD_STARTED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hitsUntilTheJitteredExpiryThenLoadsAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> jitter = path(f.store, 0.1, () -> 0.0);
      assertEquals("k@v1", jitter.get("k", db));
      ticker.advance(Duration.ofSeconds(90).minusNanos(1));
      assertEquals("k@v1", jitter.get("k", db), "fresh until base * (1 - fraction)");
      ticker.advance(1);
      assertEquals("k@v2", jitter.get("k", db), "expired at exactly 90 s with u = 0");
      assertEquals(1, counters.get(Event.HIT));
      assertEquals(2, counters.get(Event.MISS));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void asAFillItWritesTheJitteredEntryAndCachesNoFailure(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      StoreFill<String, String> jitter = jittered(f.store, 0.2, () -> 0.75);
      long now = ticker.read();
      assertEquals("k@v1", jitter.fill("k", null, 7, db));
      assertEquals(now + 110_000_000_000L, f.store.get("k").expireTime(), "100 s * (1 + 0.2 * (2 * 0.75 - 1))");
      assertEquals(7, f.store.get("k").fence(), "the fence is passed through");
      IllegalStateException down = new IllegalStateException("db down");
      CacheAside<String, String> path = path(f.store, 0.2, () -> 0.75);
      LoadException e = assertThrows(LoadException.class, () -> path.get("x", key -> {
        throw down;
      }));
      assertEquals(down, e.getCause());
      assertNull(f.store.get("x"));
      assertThrows(NullPointerException.class, () -> path.get(null, db));
    }
  }
}
