package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

class TtlJitterTest {
  private static final Duration BASE = Duration.ofSeconds(100);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

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
  }

  @Test
  void configIsValidated() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      assertThrows(IllegalArgumentException.class,
          () -> new TtlJitter<>(f.store, ticker, () -> 0.5, counters, BASE, -0.1));
      assertThrows(IllegalArgumentException.class,
          () -> new TtlJitter<>(f.store, ticker, () -> 0.5, counters, Duration.ZERO, 0.1));
    }
  }

  /** 1000 keys loaded at the same instant expire spread evenly over [90 s, 110 s], not all at 100 s. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void spreadsExpiriesOfKeysLoadedTogether(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Random seeded = new Random(42);
      TtlJitter<String, String> jitter = new TtlJitter<>(f.store, ticker, seeded::nextDouble, counters, BASE, 0.1);
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
      TtlJitter<String, String> jitter = new TtlJitter<>(f.store, ticker, () -> 0.0, counters, BASE, 0.1);
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
      TtlJitter<String, String> jitter = new TtlJitter<>(f.store, ticker, () -> 0.75, counters, BASE, 0.2);
      long now = ticker.read();
      assertEquals("k@v1", jitter.fill("k", null, 7, db));
      assertEquals(now + 110_000_000_000L, f.store.get("k").expireTime(), "100 s * (1 + 0.2 * (2 * 0.75 - 1))");
      assertEquals(7, f.store.get("k").fence(), "the fence is passed through");
      IllegalStateException down = new IllegalStateException("db down");
      LoadException e = assertThrows(LoadException.class, () -> jitter.get("x", key -> {
        throw down;
      }));
      assertEquals(down, e.getCause());
      assertEquals(null, f.store.get("x"));
      assertThrows(NullPointerException.class, () -> jitter.get(null, db));
    }
  }
}
