package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.SharedRedis;

/** Bad input and everyday faults, L1's age bound and admission, on one Redis. */
class NearCacheFaultTest {
  private final ManualTicker l1Clock = new ManualTicker();
  private final RedisKeys<String> keys = RedisKeys.strings("fault" + System.nanoTime() + ":");
  private final RedisStore<String, String> store =
      RedisStore.builder(SharedRedis.client(), keys, ValueCodec.utf8()).build();

  @AfterEach
  void close() {
    store.close();
  }

  private NearCache<String, String> near(Consumer<NearCache.Builder<String, String>> settings) {
    NearCache.Builder<String, String> b = NearCache.builder(store, SharedRedis.client()).clock(l1Clock);
    settings.accept(b);
    return b.build();
  }

  private static Entry<String> entry(String value) {
    long now = Ticker.wall().read(); // the store's clock: Redis keeps it until expireTime + retention
    return new Entry<>(value, now, now + 60_000_000_000L, 0, 0);
  }

  /**
   * The caller is interrupted while it waits for Redis (the store throws, as RedisStore does, an
   * InterruptedLoadException with the status set): the near cache passes it on, fills nothing, and leaves no mark.
   */
  @Test
  void anInterruptedReadIsTheCallersCancellationAndFillsNothing() {
    RacingStore<String, String> racing = new RacingStore<>(store);
    try (NearCache<String, String> near = NearCache.builder(racing, keys, SharedRedis.client()).clock(l1Clock)
        .build()) {
      Settle.afterWrite(() -> store.put("k", entry("v")), near);
      racing.afterNextGet(() -> {
        throw InterruptedLoadException.of("k", "during Redis GET of 'k'", new InterruptedException());
      });
      assertThrows(InterruptedLoadException.class, () -> near.get("k"));
      assertTrue(Thread.interrupted(), "the interrupt status stays set (and is cleared here)");
      assertEquals(0, near.stats().fills());
      assertEquals(0, near.size());
      assertEquals("v", near.get("k").value());
      assertEquals(1, near.stats().fills(), "the key's mark did not outlive the interrupted read");
      assertEquals("v", near.get("k").value());
      assertEquals(1, near.stats().hits());
    }
  }

  @Test
  void aCorruptValueIsTheStoresErrorAndNeverCached() {
    try (NearCache<String, String> near = near(b -> { });
        StatefulRedisConnection<String, String> raw = SharedRedis.client().connect()) {
      raw.sync().set(keys.entry("k"), "not an entry");
      assertThrows(CorruptEntryException.class, () -> near.get("k"));
      assertThrows(CorruptEntryException.class, () -> near.get("k"));
      assertEquals(0, near.stats().fills());
      Settle.afterWrite(() -> near.put("k", entry("fixed")), near);
      assertEquals("fixed", near.get("k").value());
      assertEquals("fixed", near.get("k").value());
      assertEquals(1, near.stats().hits());
    }
  }

  @Test
  void anL1CopyIsNotServedPastMaxAgeEvenWithoutAnInvalidation() {
    try (NearCache<String, String> near = near(b -> b.maxAge(Duration.ofMillis(300)))) {
      Settle.afterWrite(() -> store.put("k", entry("v")), near);
      assertEquals("v", near.get("k").value());
      l1Clock.advance(Duration.ofMillis(299));
      assertEquals("v", near.get("k").value());
      assertEquals(1, near.stats().hits());
      l1Clock.advance(Duration.ofMillis(1));
      near.get("k");
      assertEquals(1, near.stats().hits(), "at maxAge the copy is gone: read from Redis again");
      assertEquals(2, near.stats().fills());
    }
  }

  /** L1 serves fresh copies only: past its expiry an entry is read from Redis, where its refresh may be already. */
  @Test
  void aStaleCopyIsReadFromRedisAgain() {
    ManualTicker entries = new ManualTicker(Ticker.wall().read());
    try (RedisStore<String, String> timed = RedisStore.builder(SharedRedis.client(), keys, ValueCodec.utf8())
        .ticker(entries).build();
        NearCache<String, String> near = NearCache.builder(timed, SharedRedis.client()).clock(l1Clock).build()) {
      long now = entries.read();
      Settle.afterWrite(() -> timed.put("k", new Entry<>("v", now, now + 1_000_000_000L, 0, 0)), near);
      near.get("k");
      near.get("k");
      assertEquals(1, near.stats().hits());
      entries.advance(Duration.ofSeconds(2));
      assertFalse(near.get("k").isFresh(entries.read()));
      assertFalse(near.get("k", entries.read()).isFresh(entries.read()));
      assertEquals(1, near.stats().hits(), "the stale copy was not served from L1: " + near.stats());
      assertEquals(1, near.stats().fills(), "nor a stale entry filled");
    }
  }

  @Test
  void admitsAKeyToL1OnlyFromItsNthReadInTheWindow() {
    try (NearCache<String, String> near = near(b -> b.admitAfter(3, Duration.ofSeconds(1)))) {
      Settle.afterWrite(() -> store.put("k", entry("v")), near);
      near.get("k");
      near.get("k");
      assertEquals(0, near.stats().fills(), "two reads: not hot yet");
      near.get("k");
      near.get("k");
      assertEquals(1, near.stats().fills());
      assertEquals(1, near.stats().hits());
    }
  }

  @Test
  void admitsOnlyTheKeysThePredicateAccepts() {
    try (NearCache<String, String> near = near(b -> b.admitWhen(k -> k.startsWith("hot")))) {
      Settle.afterWrite(() -> store.put("hot1", entry("v")), near);
      Settle.afterWrite(() -> store.put("cold1", entry("v")), near);
      for (int i = 0; i < 3; i++) {
        near.get("hot1");
        near.get("cold1");
      }
      assertEquals(1, near.stats().fills());
      assertEquals(2, near.stats().hits());
      assertEquals(1, near.size());
    }
  }

  @Test
  void aMissIsNotCachedAndAnyCharacterIsAKey() {
    try (NearCache<String, String> near = near(b -> { })) {
      String key = "}{ \\ é \uD83D\uDE00 \uD800 \n";
      assertNull(near.get(key));
      assertEquals(0, near.stats().fills());
      Settle.afterWrite(() -> near.put(key, entry("v")), near);
      assertEquals("v", near.get(key).value());
      assertEquals("v", near.get(key).value());
      assertEquals(1, near.stats().hits());
    }
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    NearCache.Builder<String, String> b = NearCache.builder(store, SharedRedis.client());
    assertMessage("maxAge must be > 0: PT0S", () -> b.maxAge(Duration.ZERO));
    assertMessage("maximumSize must be > 0: 0", () -> b.maximumSize(0));
    assertMessage("admitAfter reads must be >= 1: 0", () -> b.admitAfter(0, Duration.ofSeconds(1)));
    assertMessage("admitAfter window must be > 0: PT-1S", () -> b.admitAfter(2, Duration.ofSeconds(-1)));
    assertThrows(NullPointerException.class, () -> b.clock(null));
    assertThrows(NullPointerException.class, () -> NearCache.builder(store, null));
  }

  private static void assertMessage(String message, Runnable setting) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, setting::run).getMessage());
  }

  @Test
  void closingStopsTrackingAndEmptiesL1() {
    NearCache<String, String> near = near(b -> { });
    Settle.afterWrite(() -> store.put("k", entry("v")), near);
    near.get("k");
    assertEquals(1, near.size());
    near.close();
    assertFalse(near.isTracking());
    assertEquals(0, near.size());
    assertEquals("v", near.get("k").value(), "still a store after close, without L1");
    assertEquals(0, near.size());
  }
}
