package stampede.redis;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import stampede.core.CorruptEntryException;

/**
 * Turns values into bytes for {@link RedisStore} and back. {@link #decode} must reject bytes it did not
 * produce (throw), never guess: a corrupt cached value becomes a {@link CorruptEntryException}, not a wrong
 * value.
 */
public interface ValueCodec<V> {

  byte[] encode(V value);

  V decode(byte[] bytes) throws Exception;

  /**
   * Decodes {@code length} bytes of {@code bytes} from {@code offset}: the store reads the value behind its entry
   * header this way. Override it to decode in place; the default copies the range and calls {@link #decode(byte[])}.
   */
  default V decode(byte[] bytes, int offset, int length) throws Exception {
    return decode(Arrays.copyOfRange(bytes, offset, offset + length));
  }

  /** Strings as strict UTF-8: malformed bytes are rejected. */
  static ValueCodec<String> utf8() {
    return new ValueCodec<>() {
      @Override
      public byte[] encode(String value) {
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

  /** Longs as 8 big-endian bytes; any other length is rejected. */
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
