package stampede.redis;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import stampede.core.CorruptEntryException;

/**
 * Turns values into bytes for {@link RedisStore} and back, losslessly both ways. {@link #encode} must refuse (throw)
 * a value it cannot encode exactly, never approximate it: {@link RedisStore#put} then writes nothing and reports a
 * {@link CorruptEntryException}. {@link #decode} must reject bytes it did not produce (throw), never guess: a
 * corrupt cached value becomes a {@link CorruptEntryException}, not a wrong value.
 */
public interface ValueCodec<V> {

  /**
   * The value's bytes, from which {@link #decode} gives back an equal value.
   *
   * @throws RuntimeException (e.g. {@link IllegalArgumentException}) if the value cannot be encoded exactly
   */
  byte[] encode(V value);

  V decode(byte[] bytes) throws Exception;

  /**
   * Decodes {@code length} bytes of {@code bytes} from {@code offset}: the store reads the value behind its entry
   * header this way. Override it to decode in place; the default copies the range and calls {@link #decode(byte[])}.
   */
  default V decode(byte[] bytes, int offset, int length) throws Exception {
    return decode(Arrays.copyOfRange(bytes, offset, offset + length));
  }

  /**
   * Strings as strict UTF-8, both ways. A string that is not well-formed UTF-16 (an unpaired surrogate, which UTF-8
   * cannot encode and {@link String#getBytes} would write as '?') is refused with an
   * {@link IllegalArgumentException} naming the surrogate and its index; malformed bytes (surrogates, overlong
   * forms, truncated sequences) are rejected by decode. Every well-formed string comes back equal.
   */
  static ValueCodec<String> utf8() {
    return new ValueCodec<>() {
      @Override
      public byte[] encode(String value) {
        int bad = unpairedSurrogate(value);
        if (bad >= 0) {
          throw new IllegalArgumentException(String.format("not well-formed UTF-16: an unpaired surrogate U+%04X at"
              + " index %d of %d chars, which UTF-8 cannot encode", (int) value.charAt(bad), bad, value.length()));
        }
        return value.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String decode(byte[] bytes) throws CharacterCodingException {
        return decode(bytes, 0, bytes.length);
      }

      @Override
      public String decode(byte[] bytes, int offset, int length) throws CharacterCodingException {
        for (int i = offset; i < offset + length; i++) {
          if (bytes[i] < 0) { // not ASCII: the strict decoder
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, offset, length))
                .toString();
          }
        }
        return new String(bytes, offset, length, StandardCharsets.US_ASCII); // ASCII is valid UTF-8 as it is
      }
    };
  }

  /** The index of the first surrogate of {@code s} that is not half of a pair, or -1: one pass, no allocation. */
  private static int unpairedSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (!Character.isHighSurrogate(c) || i + 1 == n || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return i;
        }
        i++; // a pair: one code point
      }
    }
    return -1;
  }

  /** Longs as 8 big-endian bytes, every value exactly; any other length is rejected. */
  static ValueCodec<Long> int64() {
    return new ValueCodec<>() {
      @Override
      public byte[] encode(Long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
      }

      @Override
      public Long decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
      }

      @Override
      public Long decode(byte[] bytes, int offset, int length) {
        if (length != Long.BYTES) {
          throw new IllegalArgumentException("expected 8 bytes, got " + length);
        }
        return ByteBuffer.wrap(bytes, offset, length).getLong();
      }
    };
  }
}
