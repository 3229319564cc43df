package stampede.redis;

import java.util.Objects;
import java.util.function.Function;

/**
 * How cache keys become Redis names. Every name of one key shares one hash tag, so on Redis Cluster they all live
 * in one slot and a script may touch several of them:
 *
 * <pre>
 *   entry   prefix{tag}
 *   lease   prefix{tag}:lock
 *   fence   prefix{tag}:fence
 *   signal  prefix{tag}:signal      (a pub/sub channel)
 * </pre>
 *
 * {@code tag} is the key's encoding with {@code \} written {@code \\}, <code>}</code> written {@code \)}, an
 * unpaired surrogate (which UTF-8 cannot encode) written as a backslash, {@code u} and four hex digits, and the
 * empty encoding written {@code \e}. So the tag never closes early nor is empty, and its UTF-8 bytes, which are what
 * Redis compares, decode to one encoding only. The prefix may not hold braces. So no two names of different keys,
 * nor two kinds of names of one key, are ever equal, whatever characters the keys hold.
 *
 * <p>The encoding must be injective: two different keys must never encode to the same string. {@link #strings}
 * uses the string itself and {@link #longs} the decimal form; for other key types give an encoding that
 * includes everything {@code equals} compares (never a bare {@code toString()} of mixed types: {@code 1} and
 * {@code "1"} would share an entry). The key type restricts what reaches the store: a {@code RedisKeys<String>}
 * takes strings only. For keys of several types, encode the type too, e.g.
 * {@code RedisKeys.of("p:", k -> (k instanceof Integer ? "i:" : "s:") + k)} for integers and strings.
 */
public final class RedisKeys<K> {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private final String prefix;
  private final Function<? super K, String> encode;

  private RedisKeys(String prefix, Function<? super K, String> encode) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.encode = Objects.requireNonNull(encode, "encode");
    if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
      throw new IllegalArgumentException("the prefix may not contain '{' or '}': " + prefix);
    }
  }

  /** Keys encoded by {@code encode}, which must be injective (see the class doc). */
  public static <K> RedisKeys<K> of(String prefix, Function<? super K, String> encode) {
    return new RedisKeys<>(prefix, encode);
  }

  /** String keys, as they are. */
  public static RedisKeys<String> strings(String prefix) {
    return new RedisKeys<>(prefix, Function.identity());
  }

  /** Long keys, in decimal. */
  public static RedisKeys<Long> longs(String prefix) {
    return new RedisKeys<>(prefix, String::valueOf);
  }

  public String prefix() {
    return prefix;
  }

  /** The entry's name. */
  public String entry(K key) {
    return tagged(key);
  }

  /** The lease's name. */
  public String lock(K key) {
    return tagged(key) + ":lock";
  }

  /** The fencing counter's name. */
  public String fence(K key) {
    return tagged(key) + ":fence";
  }

  /** The signal channel's name. */
  public String signal(K key) {
    return tagged(key) + ":signal";
  }

  private String tagged(K key) {
    String encoded = encode.apply(Objects.requireNonNull(key, "key"));
    if (encoded == null) {
      throw new IllegalArgumentException("the key encoding returned null for " + key);
    }
    StringBuilder name = new StringBuilder(prefix.length() + encoded.length() + 16).append(prefix).append('{');
    if (encoded.isEmpty()) {
      name.append("\\e");
    }
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '\\') {
        name.append("\\\\");
      } else if (c == '}') {
        name.append("\\)");
      } else if (Character.isHighSurrogate(c) && i + 1 < encoded.length()
          && Character.isLowSurrogate(encoded.charAt(i + 1))) {
        name.append(c).append(encoded.charAt(++i)); // a pair: one code point, valid UTF-8
      } else if (Character.isSurrogate(c)) {
        name.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
            .append(HEX[c & 0xF]); // unpaired: UTF-8 cannot encode it (Lettuce would send '?' for every one)
      } else {
        name.append(c);
      }
    }
    return name.append('}').toString();
  }
}
