package stampede.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Locks;
import stampede.core.Ticker;
import stampede.redis.ValueCodec;

/**
 * What every {@link CacheStore} adapter (and its {@link Locks}) must do, run against Caffeine, a real embedded Redis
 * and a real embedded Redis Cluster.
 */
class StoreContractTest {
  private final ManualTicker ticker = new ManualTicker();

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void roundTripsAnEntryWithAllItsFields(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertNull(f.store.get("k"));
      Entry<String> e = new Entry<>("välue", ticker.read(), ticker.read() + 5_000_000_000L, 1234, 0);
      assertTrue(f.store.put("k", e));
      assertEquals(e, f.store.get("k"));
      f.store.invalidate("k");
      assertNull(f.store.get("k"));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void keepsAStaleEntryForTheRetentionThenDropsIt(StoreKind kind) throws Exception {
    // Redis retention runs on the real clock, so this test uses the wall clock and short times, with margins wide
    // enough for a loaded machine: stale after 0.1 s, read back at about 0.2 s, dropped at 1.1 s, checked after 1.3 s.
    Ticker system = kind.isRedis() ? Ticker.wall() : Ticker.system();
    try (StoreFixture<String> f = kind.open(system, ValueCodec.utf8(), Duration.ofSeconds(1))) {
      long now = system.read();
      f.store.put("k", new Entry<>("v", now, now + 100_000_000L, 0, 0));
      Thread.sleep(200);
      Entry<String> stale = f.store.get("k");
      assertEquals("v", stale.value());
      assertFalse(stale.isFresh(system.read()));
      Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(now + 1_300_000_000L - system.read())));
      if (f.store instanceof CaffeineStore<String, String> c) {
        c.cleanUp();
      }
      assertNull(f.store.get("k"));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void refusesToOverwriteAHigherFence(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long now = ticker.read();
      assertTrue(f.store.put("k", new Entry<>("new", now, now + 10_000_000_000L, 0, 7)));
      assertFalse(f.store.put("k", new Entry<>("old", now, now + 10_000_000_000L, 0, 6)));
      assertEquals("new", f.store.get("k").value());
      assertTrue(f.store.put("k", new Entry<>("newer", now, now + 10_000_000_000L, 0, 8)));
      assertEquals("newer", f.store.get("k").value());
    }
  }

  /** The fence rule of {@link CacheStore#put}: an unfenced write (cache-aside, write-through) is never refused. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anUnfencedWriteReplacesAFencedEntry(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long now = ticker.read();
      assertTrue(f.store.put("k", new Entry<>("under a lock", now, now + 10_000_000_000L, 0, 7)));
      assertTrue(f.store.put("k", new Entry<>("written through", now, now + 10_000_000_000L, 0, 0)));
      assertEquals("written through", f.store.get("k").value());
      assertTrue(f.store.put("k", new Entry<>("under a newer lock", now, now + 10_000_000_000L, 0, 3)),
          "a fenced write over an unfenced entry");
      assertEquals("under a newer lock", f.store.get("k").value());
    }
  }

  /** A stale (retained) entry still refuses an older fenced load: its value is the newer one. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aStaleEntryStillRefusesAnOlderFencedWrite(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long now = ticker.read();
      assertTrue(f.store.put("k", new Entry<>("newer", now, now + 1_000_000_000L, 0, 9)));
      ticker.advance(Duration.ofSeconds(2));
      assertFalse(f.store.get("k").isFresh(ticker.read()));
      long later = ticker.read();
      assertFalse(f.store.put("k", new Entry<>("older load", later, later + 1_000_000_000L, 0, 8)));
      assertEquals("newer", f.store.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void leasesAreExclusiveOwnedAndFenced(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long t1 = f.locks.tryAcquire("k", "a", 60_000);
      assertTrue(t1 > 0);
      assertEquals(0, f.locks.tryAcquire("k", "b", 60_000));
      assertFalse(f.locks.release("k", "b"), "only the owner releases");
      assertFalse(f.locks.renew("k", "b", 60_000), "only the owner renews");
      assertTrue(f.locks.renew("k", "a", 60_000));
      assertTrue(f.locks.release("k", "a"));
      long t2 = f.locks.tryAcquire("k", "b", 60_000);
      assertTrue(t2 > t1, "fencing tokens increase: " + t1 + " then " + t2);
    }
  }

  /** A test can make a Redis lease run out at once, on one Redis or on the cluster node that holds it. */
  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = {"REDIS", "REDIS_CLUSTER"})
  void aFixtureCanExpireARedisLease(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "a", 60_000) > 0);
      f.expireLease("k");
      assertTrue(f.locks.tryAcquire("k", "b", 60_000) > 0);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aWatcherIsWokenBySignal(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker); StoreFixture<String> other = f.node()) {
      try (Locks.Watch w = f.locks.watch("k")) {
        other.locks.signal("k");
        assertTrue(w.await(2, TimeUnit.SECONDS));
      }
      try (Locks.Watch w = f.locks.watch("k")) {
        assertFalse(w.await(50, TimeUnit.MILLISECONDS), "no signal, times out");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void rejectsNullKeys(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertThrows(NullPointerException.class, () -> f.store.get(null));
      assertThrows(NullPointerException.class, () -> f.locks.tryAcquire(null, "me", 1000));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void reportsTheClockItsEntriesAreTimedOn(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertEquals(ticker.read(), f.store.ticker().read());
    }
  }
}
