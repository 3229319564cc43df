package stampede.redis;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import stampede.core.CorruptEntryException;

/**
 * Turns values into bytes for {@link RedisStore} and back. {@link #decode} must reject bytes it did not
 * produce (throw), never guess: a corrupt cached value becomes a {@link CorruptEntryException}, not a wrong
 * value.
 */
public interface ValueCodec<V> {

  byte[] encode(V value);

  V decode(byte[] bytes) throws Exception;

  /** Strings as strict UTF-8: malformed bytes are rejected. */
  static ValueCodec<String> utf8() {
    return new ValueCodec<>() {
      @Override
      public byte[] encode(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
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
        if (bytes.length != Long.BYTES) {
          throw new IllegalArgumentException("expected 8 bytes, got " + bytes.length);
        }
        return ByteBuffer.wrap(bytes).getLong();
      }
    };
  }
}
