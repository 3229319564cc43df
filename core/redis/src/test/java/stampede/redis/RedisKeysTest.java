package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.testkit.ManualTicker;

/**
 * No two keys' Redis names collide, whatever characters they hold, and every name of one key shares its slot; keys
 * are encoded by an injective encoding, never by a bare {@code toString()}.
 */
class RedisKeysTest {
  private static final String PREFIX = "keys-" + ProcessHandle.current().pid() + "-";

  /** Keys built to break a naive naming: braces, backslashes, the escapes themselves, suffixes, empty, unicode. */
  static final List<String> NASTY = List.of("", "{", "}", "{}", "}{", "{{}}", "\\", "\\\\", "\\)", "\\e", "\\}",
      "foo", "lock:foo", "foo:lock", "foo}:lock", "foo:fence", "foo:signal", "foo}", "{foo}", "foo\\", ":lock",
      ":fence", ":signal", "a\nb", "a\r\nb", "\n", "\0", "ключ", "鍵", "🔑", "e\u0301", "\u00e9", " ", "*", "?", "[a]",
      "k}:lock}", "k\\}:lock", "\uD800", "\uDC00", "\uDC00\uD800", "a\uD800b", "\\uD800", "\\ud800");

  @Test
  void namesOfDifferentKeysAndKindsNeverCollideAndShareTheKeysSlot() {
    RedisKeys<String> keys = RedisKeys.strings("p:");
    Set<String> names = new HashSet<>();
    for (String key : NASTY) {
      List<String> four = List.of(keys.entry(key), keys.lock(key), keys.fence(key), keys.signal(key));
      names.addAll(four);
      int slot = SlotHash.getSlot(keys.entry(key));
      for (String name : four) {
        assertEquals(slot, SlotHash.getSlot(name), "slot of " + name);
        assertTrue(name.startsWith("p:{"), name);
      }
    }
    assertEquals(4 * NASTY.size(), names.size(), "distinct names");
    Set<String> bytes = new HashSet<>();
    names.forEach(n -> bytes.add(HexFormat.of().formatHex(n.getBytes(StandardCharsets.UTF_8))));
    assertEquals(names.size(), bytes.size(), "distinct as Redis sees them: UTF-8 (unpaired surrogates escaped)");
  }

  /** The keys side by side in one Redis: a cached key like {@code lock:foo} never touches the lock of {@code foo}. */
  @Test
  void nastyKeysLiveSideBySideInRedis() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "side:");
    ManualTicker ticker = new ManualTicker();
    long now = ticker.read();
    try (RedisStore<String, String> store = RedisStore.builder(SharedClients.client(), keys, ValueCodec.utf8())
             .ticker(ticker).build();
         RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedClients.client().connect()) {
      for (int i = 0; i < NASTY.size(); i++) {
        assertTrue(locks.tryAcquire(NASTY.get(i), "owner " + i, 60_000) > 0, "key " + i);
        store.put(NASTY.get(i), new Entry<>("value " + i, now, now + 60_000_000_000L, 0, 0));
      }
      store.invalidate("lock:foo");
      store.invalidate("foo:lock");
      store.invalidate("foo}:lock");
      for (int i = 0; i < NASTY.size(); i++) {
        String key = NASTY.get(i);
        assertEquals("owner " + i, locks.holder(key), "key " + i);
        if (!List.of("lock:foo", "foo:lock", "foo}:lock").contains(key)) {
          assertEquals("value " + i, store.get(key).value(), "key " + i);
        }
      }
      assertEquals(3 * NASTY.size() - 3, RedisLocksTest.scan(raw.sync(), keys.prefix() + "*").size(),
          "an entry, a lease and a fencing counter per key, less the three invalidated entries");
    }
  }

  @Test
  void thePrefixMayNotHoldBracesAndAnEncodingMayNotReturnNull() {
    assertThrows(IllegalArgumentException.class, () -> RedisKeys.strings("a{"));
    assertThrows(IllegalArgumentException.class, () -> RedisKeys.strings("a}"));
    assertThrows(IllegalArgumentException.class, () -> RedisKeys.<String>of("p:", k -> null).entry("k"));
    assertThrows(NullPointerException.class, () -> RedisKeys.strings("p:").entry(null));
  }

  /**
   * Keys of mixed types need an encoding that keeps them apart: with a bare {@code toString()}, {@code 1} and
   * {@code "1"} would share an entry. {@link RedisKeys#of} takes the encoding.
   */
  @Test
  void mixedKeyTypesNeedAnInjectiveEncoding() {
    RedisKeys<Object> toString = RedisKeys.of("p:", Object::toString);
    assertEquals(toString.entry(1), toString.entry("1"), "why a bare toString() is not an encoding");

    RedisKeys<Object> typed = RedisKeys.of(PREFIX + "typed:", RedisKeysTest::typed);
    assertNotEquals(typed.entry(1), typed.entry("1"));
    assertNotEquals(typed.entry(1), typed.entry(1L));
    assertEquals(RedisKeys.longs("p:").entry(42L), "p:{42}");

    ManualTicker ticker = new ManualTicker();
    long now = ticker.read();
    try (RedisStore<Object, String> store = RedisStore.builder(SharedClients.client(), typed, ValueCodec.utf8())
        .ticker(ticker).build()) {
      store.put(1, new Entry<>("the integer", now, now + 60_000_000_000L, 0, 0));
      store.put("1", new Entry<>("the string", now, now + 60_000_000_000L, 0, 0));
      assertEquals("the integer", store.get(1).value());
      assertEquals("the string", store.get("1").value());
    }
  }

  /** An injective encoding of a few key types: the type, then the value. */
  static String typed(Object key) {
    if (key instanceof String s) {
      return "s:" + s;
    }
    if (key instanceof Integer i) {
      return "i:" + i;
    }
    if (key instanceof Long l) {
      return "l:" + l;
    }
    throw new IllegalArgumentException("no encoding for " + key.getClass());
  }
}
