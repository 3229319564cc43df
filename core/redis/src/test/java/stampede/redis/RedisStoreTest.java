package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedisServer;

/** Redis-only behaviour: corrupt values are reported, not returned; an outage is a clear, fast error. */
class RedisStoreTest {
  private final ManualTicker ticker = new ManualTicker();

  @Test
  void corruptValuesAreReportedNeverReturned() {
    try (RedisFixture f = new RedisFixture(ticker);
         StatefulRedisConnection<String, byte[]> raw = SharedClients.client().connect(RedisConnection.CODEC)) {
      RedisKeys<String> keys = f.redisKeys();
      raw.sync().hset(keys.entry("hash"), "v", bytes("x"));
      CorruptEntryException notString = assertThrows(CorruptEntryException.class, () -> f.store.get("hash"));
      assertTrue(notString.getMessage().contains("not a string"), notString.getMessage());

      raw.sync().set(keys.entry("text"), bytes("not a stampede entry, long enough to hold a header"));
      assertThrows(CorruptEntryException.class, () -> f.store.get("text"));
      raw.sync().set(keys.entry("short"), new byte[] {RedisStore.MAGIC, 0, 0});
      assertThrows(CorruptEntryException.class, () -> f.store.get("short"));
      raw.sync().set(keys.entry("empty"), new byte[0]);
      assertThrows(CorruptEntryException.class, () -> f.store.get("empty"));

      byte[] backwards = header(5_000, 1_000, 0, 0); // expires before it was written
      raw.sync().set(keys.entry("backwards"), backwards);
      assertThrows(CorruptEntryException.class, () -> f.store.get("backwards"));

      byte[] badUtf8 = Arrays.copyOf(header(1_000, 5_000, 0, 0), RedisStore.HEADER + 2);
      badUtf8[RedisStore.HEADER] = (byte) 0xC3;
      badUtf8[RedisStore.HEADER + 1] = (byte) 0x28;
      raw.sync().set(keys.entry("utf8"), badUtf8);
      assertThrows(CorruptEntryException.class, () -> f.store.get("utf8"));

      // A read that counts a corrupt entry as a miss, and a put that overwrites it, whatever its type.
      Counters counters = new Counters();
      assertNull(f.store.getOrMiss("hash", counters));
      assertEquals(1, counters.get(Event.STORE_ERROR));
      long now = ticker.read();
      for (String key : List.of("hash", "text", "short", "empty", "backwards", "utf8")) {
        assertTrue(f.store.put(key, new Entry<>("fixed", now, now + 1_000_000_000L, 0, 0)), key);
        assertEquals("fixed", f.store.get(key).value(), key);
      }
    }
  }

  /**
   * Only a valid entry's fence refuses a write: bytes that are not an entry, another type, or an entry this store did
   * not write (no expiry: the store always sets one), whatever fence they seem to carry, are overwritten.
   */
  @Test
  void onlyAValidEntrysFenceRefusesAWrite() {
    try (RedisFixture f = new RedisFixture(ticker);
         StatefulRedisConnection<String, byte[]> raw = SharedClients.client().connect(RedisConnection.CODEC)) {
      RedisKeys<String> keys = f.redisKeys();
      long now = ticker.read();
      byte[] notMagic = header(now, now + 1_000_000_000L, 0, Long.MAX_VALUE);
      notMagic[0] = 'x';
      raw.sync().set(keys.entry("garbage"), notMagic);
      byte[] noExpiry = Arrays.copyOf(header(now, now + 1_000_000_000L, 0, 1L << 52), RedisStore.HEADER + 1);
      noExpiry[RedisStore.HEADER] = 'v';
      raw.sync().set(keys.entry("foreign"), noExpiry);
      raw.sync().rpush(keys.entry("list"), bytes("a"));
      for (String key : List.of("garbage", "foreign", "list")) {
        assertTrue(f.store.put(key, new Entry<>("loaded", now, now + 1_000_000_000L, 0, 5)), key);
        assertEquals("loaded", f.store.get(key).value(), key);
        assertFalse(f.store.put(key, new Entry<>("older", now, now + 1_000_000_000L, 0, 4)), key);
      }
    }
  }

  /**
   * Issue 18, item 8: an entry the store reports as corrupt (it expires before it was written) with a high fence
   * refused every fenced write for the life of the string, since the script checked the magic byte, the length and
   * PTTL only: 20 calls, each a miss (corrupt), a load under a new lease and a refused write, made 20 loads,
   * FENCED_WRITE 20, nothing written. The next fenced write now overwrites it: 1 load, then 19 hits.
   */
  @Test
  void aCorruptEntryIsOverwrittenByTheNextFencedWrite() {
    try (RedisFixture f = new RedisFixture(ticker);
         StatefulRedisConnection<String, byte[]> raw = SharedClients.client().connect(RedisConnection.CODEC)) {
      long now = ticker.read();
      raw.sync().set(f.redisKeys().entry("k"), header(now + 5_000_000_000L, now, 0, 1L << 62), SetArgs.Builder.px(
          60_000));
      assertThrows(CorruptEntryException.class, () -> f.store.get("k"));
      Counters counters = new Counters();
      AtomicInteger loads = new AtomicInteger();
      Loader<String, String> db = key -> {
        loads.incrementAndGet();
        Thread.sleep(1); // a 1 ms database read
        return key + "@db";
      };
      StoreFill<String, String> fill = new StoreFill<>(f.store, counters, Ttl.fixed(Duration.ofMinutes(5)));
      for (int call = 1; call <= 20; call++) {
        Entry<String> cached = f.store.getOrMiss("k", counters);
        if (cached == null || !cached.isFresh(ticker.read())) {
          fill.fill("k", cached, call, db); // under a new lease each time: fence = its token
        }
      }
      assertEquals(1, loads.get(), "loads for 20 calls (" + counters + ")");
      assertEquals(0, counters.get(Event.FENCED_WRITE));
      assertEquals(1, counters.get(Event.ENTRY_WRITTEN));
    }
  }

  /**
   * What the store's decode rejects and the script can see never fences: impossible times (compared exactly, also
   * where a double cannot tell them apart), a negative load time. Fences compare exactly too: above 2^53 a double
   * took 2^53 + 1 for 2^53 and let the lower fence's write through.
   */
  @Test
  void whatDecodeRejectsNeverFencesAndFencesCompareExactly() {
    try (RedisFixture f = new RedisFixture(ticker);
         StatefulRedisConnection<String, byte[]> raw = SharedClients.client().connect(RedisConnection.CODEC)) {
      RedisKeys<String> keys = f.redisKeys();
      long now = ticker.read();
      long high = 1L << 62;
      Map<String, byte[]> corrupt = Map.of(
          "expires before written", header(now + 5_000_000_000L, now, 0, high),
          "expires 1 ns before written, near 2^60", header((1L << 60) + 1, 1L << 60, 0, high),
          "negative load time", header(now, now + 5_000_000_000L, -1, high));
      for (Map.Entry<String, byte[]> c : corrupt.entrySet()) {
        String key = c.getKey();
        raw.sync().set(keys.entry(key), c.getValue(), SetArgs.Builder.px(60_000));
        assertThrows(CorruptEntryException.class, () -> f.store.get(key), key);
        assertTrue(f.store.put(key, new Entry<>("loaded", now, now + 1_000_000_000L, 0, 5)), key);
        assertEquals("loaded", f.store.get(key).value(), key);
      }

      long above = (1L << 53) + 1;
      assertTrue(f.store.put("exact", new Entry<>("newer", now, now + 1_000_000_000L, 0, above)));
      assertFalse(f.store.put("exact", new Entry<>("older", now, now + 1_000_000_000L, 0, 1L << 53)),
          "a write with fence 2^53 over one with 2^53 + 1");
      assertEquals("newer", f.store.get("exact").value());
      assertTrue(f.store.put("exact", new Entry<>("same fence", now, now + 1_000_000_000L, 0, above)));
      assertEquals("same fence", f.store.get("exact").value());
    }
  }

  @Test
  void anEntryIsOneStringWithABigEndianHeaderThenTheValue() {
    try (RedisFixture f = new RedisFixture(ticker);
         StatefulRedisConnection<String, byte[]> raw = SharedClients.client().connect(RedisConnection.CODEC)) {
      Entry<String> e = new Entry<>("välue", 0x0102030405060708L, 0x1112131415161718L, 42, 7);
      f.store.put("k", e);
      String name = f.redisKeys().entry("k");
      assertEquals("string", raw.sync().type(name));
      byte[] bytes = raw.sync().get(name);
      ByteBuffer b = ByteBuffer.wrap(bytes);
      assertEquals(RedisStore.MAGIC, b.get());
      assertEquals(e.writeTime(), b.getLong());
      assertEquals(e.expireTime(), b.getLong());
      assertEquals(42, b.getLong());
      assertEquals(7, b.getLong());
      assertEquals("välue", StandardCharsets.UTF_8.decode(b).toString());
      assertEquals(e, f.store.get("k"));
    }
  }

  /**
   * A hit is one GET, and a write one EVALSHA (after a script flush: one NOSCRIPT, one EVAL, then EVALSHA again),
   * counted by the server ({@code INFO commandstats}) on a Redis of its own.
   */
  @Test
  void aHitIsOneGetAndAWriteOneEvalsha() {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(2));
      try (RedisStore<String, String> store =
               RedisStore.builder(client, RedisKeys.strings("x:"), ValueCodec.utf8()).ticker(ticker).build();
           StatefulRedisConnection<String, String> admin = client.connect()) {
        long now = ticker.read();
        admin.sync().configResetstat();
        for (int i = 0; i < 10; i++) {
          store.put("k", new Entry<>("v" + i, now, now + 60_000_000_000L, 0, 0));
        }
        for (int i = 0; i < 25; i++) {
          assertEquals("v9", store.get("k").value());
        }
        // Commands run inside the script count too: each write's SET (an unfenced write reads nothing first).
        assertEquals(Map.of("evalsha", 10L, "get", 25L, "set", 10L),
            commandCalls(admin.sync().info("commandstats")));

        admin.sync().scriptFlush(); // a restarted or failed-over server: NOSCRIPT, then EVAL once, then EVALSHA
        admin.sync().configResetstat();
        store.put("k", new Entry<>("after flush", now, now + 60_000_000_000L, 0, 0));
        store.put("k", new Entry<>("again", now, now + 60_000_000_000L, 0, 0));
        assertEquals("again", store.get("k").value());
        assertEquals(Map.of("evalsha", 2L, "eval", 1L, "get", 1L, "set", 2L),
            commandCalls(admin.sync().info("commandstats")));
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /**
   * Issue 18, item 10: a lone surrogate, which UTF-8 cannot encode, was written as '?': "x\uD800y" came back from
   * Redis as "x?y". The write is now refused before any command, as a {@link CorruptEntryException} (not an outage:
   * a store guard passes it through): through a fill the caller still gets its loaded value, uncached, and
   * {@code STORE_ERROR} is recorded.
   */
  @Test
  void textUtf8CannotEncodeIsRefusedNotGarbled() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(2));
      try (RedisStore<String, String> store =
               RedisStore.builder(client, RedisKeys.strings("x:"), ValueCodec.utf8()).ticker(ticker).build();
           StatefulRedisConnection<String, String> admin = client.connect()) {
        Counters counters = new Counters();
        StoreFill<String, String> fill = new StoreFill<>(store, counters, Ttl.fixed(Duration.ofMinutes(1)));
        assertEquals("x\uD800y", fill.fill("k", null, 0, key -> "x\uD800y"), "the caller gets its loaded value");
        Entry<String> cached = store.get("k");
        assertNull(cached, "what Redis returned: " + (cached == null ? null : cached.value()));
        assertEquals(1, counters.get(Event.STORE_ERROR));
        assertEquals(0, counters.get(Event.ENTRY_WRITTEN));

        long now = ticker.read();
        admin.sync().configResetstat();
        CorruptEntryException e = assertThrows(CorruptEntryException.class,
            () -> store.put("k", new Entry<>("x\uD800y", now, now + 1_000_000_000L, 0, 0)));
        assertTrue(e.getMessage().startsWith("value of key 'x:{k}' cannot be encoded"), e.getMessage());
        assertTrue(e.getMessage().contains("U+D800 at index 1") && e.getMessage().endsWith("; not written"),
            e.getMessage());
        assertEquals(Map.of(), commandCalls(admin.sync().info("commandstats")), "commands sent");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  @Test
  void invalidUtf8IsCorruptNotGarbled() {
    try (RedisFixture f = new RedisFixture(ticker)) {
      ValueCodec<byte[]> raw = new ValueCodec<>() {
        @Override
        public byte[] encode(byte[] value) {
          return value;
        }

        @Override
        public byte[] decode(byte[] b) {
          return b;
        }
      };
      RedisStore<String, byte[]> bytes = RedisStore.builder(SharedClients.client(), f.redisKeys(), raw).ticker(ticker)
          .build();
      long now = ticker.read();
      bytes.put("k", new Entry<>(new byte[] {(byte) 0xC3, (byte) 0x28}, now, now + 1_000_000_000L, 0, 0));
      bytes.close();
      assertThrows(CorruptEntryException.class, () -> f.store.get("k"));
    }
  }

  /**
   * After an outage the client reconnects within its bound (at most 1 s between attempts, then one connect), not
   * after Lettuce's default backoff, which doubles from 1 ms up to 30 s (its attempts after a 5 s outage come at
   * about 4.1 s and 8.2 s, so 3 s late): until it reconnects, every call misses and goes to the database.
   */
  @Test
  void reconnectsWithinTheBoundAfterAnOutage() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      try (RedisStore<String, String> store =
               RedisStore.builder(client, RedisKeys.strings("x:"), ValueCodec.utf8()).ticker(ticker).build()) {
        Delay delay = client.getResources().reconnectDelay();
        for (int attempt = 1; attempt <= 64; attempt++) {
          assertTrue(delay.createDelay(attempt).compareTo(RedisStore.MAX_RECONNECT_DELAY) <= 0, "attempt " + attempt);
        }
        CountDownLatch reconnected = new CountDownLatch(1);
        client.addListener(new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            reconnected.countDown();
          }
        });
        redis.stop();
        Thread.sleep(5_000); // the outage
        redis.restart();
        long back = System.nanoTime();
        assertTrue(reconnected.await(30, TimeUnit.SECONDS), "never reconnected");
        long tookMillis = (System.nanoTime() - back) / 1_000_000;
        assertTrue(tookMillis < 2_500, "reconnected " + tookMillis + " ms after Redis came back; bound 1 s + connect");
        long now = ticker.read();
        assertTrue(store.put("k", new Entry<>("cached again", now, now + 1_000_000_000L, 0, 0)));
        assertEquals("cached again", store.get("k").value());
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /** The client owns the resources that bound its reconnect delay, and shuts them down with itself. */
  @Test
  void aClientShutsDownTheResourcesItOwns() {
    RedisClient client = RedisStore.client(SharedRedisServer.server().uri(), Duration.ofSeconds(1));
    client.connect().close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    assertTrue(client.getResources().eventExecutorGroup().isShutdown());
  }

  @Test
  void aStoppedServerGivesAFastStoreExceptionAndRecovers() {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      try (RedisStore<String, String> store =
               RedisStore.builder(client, RedisKeys.strings("x:"), ValueCodec.utf8()).ticker(ticker).build();
           RedisLocks<String> locks = new RedisLocks<>(client, RedisKeys.strings("x:"))) {
        long now = ticker.read();
        store.put("k", new Entry<>("v", now, now + 1_000_000_000L, 0, 0));
        redis.stop();
        long start = System.nanoTime();
        assertThrows(StoreException.class, () -> store.get("k"));
        assertThrows(StoreException.class, () -> locks.tryAcquire("k", "me", 1000));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis < 3_000, "failed fast: " + tookMillis + " ms");
        redis.restart();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Entry<String> after = null;
        while (System.nanoTime() < deadline) {
          try {
            after = store.get("k");
            break;
          } catch (StoreException reconnecting) {
            Thread.sleep(100);
          }
        }
        assertNull(after, "reconnected to an empty (restarted) server");
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A stampede header with these fields and no value. */
  static byte[] header(long writeTime, long expireTime, long loadNanos, long fence) {
    return ByteBuffer.allocate(RedisStore.HEADER).put(RedisStore.MAGIC).putLong(writeTime).putLong(expireTime)
        .putLong(loadNanos).putLong(fence).array();
  }

  /** {@code INFO commandstats} as command name to calls, without INFO and CONFIG (the test's own). */
  static Map<String, Long> commandCalls(String info) {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : info.split("\\r?\\n")) {
      if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_info:") && !line.startsWith("cmdstat_config")) {
        int from = line.indexOf("calls=") + 6;
        calls.put(line.substring(8, line.indexOf(':')), Long.parseLong(line.substring(from, line.indexOf(',', from))));
      }
    }
    return calls;
  }
}
