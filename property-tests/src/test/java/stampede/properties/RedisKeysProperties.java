package stampede.properties;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import stampede.redis.RedisKeys;

/**
 * {@link RedisKeys} names are injective over (prefix, key, kind of name), and a key's names share one cluster slot:
 * generated over keys made of the characters that break naive naming (braces, backslashes, the escapes' letters,
 * the suffixes' letters, colons, newlines, NUL, unicode, unpaired surrogates), so near-collisions are tried, not only
 * random strings. Names are compared as Redis sees them: as the UTF-8 bytes Lettuce sends.
 */
class RedisKeysProperties {

  @Property(tries = 3000)
  void differentKeysNeverShareAName(@ForAll("nasty") String a, @ForAll("nasty") String b,
      @ForAll("prefixes") String prefixA, @ForAll("prefixes") String prefixB) {
    Assume.that(!a.equals(b) || !prefixA.equals(prefixB));
    List<String> namesA = names(RedisKeys.strings(prefixA), a);
    List<String> namesB = names(RedisKeys.strings(prefixB), b);
    for (String name : namesA) {
      if (utf8(namesB).contains(utf8(name))) { // Redis compares the bytes Lettuce sends: UTF-8
        throw new AssertionError(show(prefixA) + " + " + show(a) + " and " + show(prefixB) + " + " + show(b)
            + " share the name " + show(name));
      }
    }
  }

  @Property(tries = 1000)
  void aKeysNamesAreDistinctAndShareOneSlot(@ForAll("nasty") String key, @ForAll("prefixes") String prefix) {
    List<String> names = names(RedisKeys.strings(prefix), key);
    if (utf8(names).stream().distinct().count() != names.size()) {
      throw new AssertionError("names of " + show(key) + " collide: " + names.stream().map(RedisKeysProperties::show)
          .toList());
    }
    int slot = SlotHash.getSlot(names.get(0));
    for (String name : names) {
      if (SlotHash.getSlot(name) != slot) {
        throw new AssertionError(show(name) + " is not in the slot of " + show(names.get(0)));
      }
      String tag = name.substring(name.indexOf('{') + 1, name.indexOf('}', name.indexOf('{')));
      if (tag.isEmpty()) {
        throw new AssertionError("empty hash tag in " + show(name) + ": Redis would hash the whole name");
      }
    }
  }

  private static List<String> utf8(List<String> names) {
    return names.stream().map(RedisKeysProperties::utf8).toList();
  }

  /** The name as Redis sees it (Lettuce's UTF-8 codec replaces what UTF-8 cannot encode). */
  private static String utf8(String name) {
    return HexFormat.of().formatHex(name.getBytes(StandardCharsets.UTF_8));
  }

  /** Quoted, with everything outside printable ASCII as a Java escape, so a failure message shows it. */
  static String show(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return b.append('"').toString();
  }

  private static List<String> names(RedisKeys<String> keys, String key) {
    return List.of(keys.entry(key), keys.lock(key), keys.fence(key), keys.signal(key));
  }

  @Provide
  Arbitrary<String> nasty() {
    Arbitrary<String> small = Arbitraries.strings().withChars("{}\\)eu:lockfnsigal\n\0é鍵\uD800\uDC00")
        .ofMaxLength(8);
    Arbitrary<String> suffixed = Combinators.combine(small,
        Arbitraries.of(":lock", "}:lock", "\\", "\\)", "\\e", "}", "\uD83D")).as(String::concat);
    return Arbitraries.frequencyOf(Tuple.of(6, small), Tuple.of(2, suffixed),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(12)));
  }

  @Provide
  Arbitrary<String> prefixes() {
    return Arbitraries.of("", "p:", "p", "a:lock", "\\", "*?[]:");
  }
}
