package stampede.jmh.impl;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import stampede.redis.RedisStore;

/**
 * The fair baseline of a hit on Redis: one Lettuce sync {@code GET} (its own client and connection, the store's
 * client settings) of a plain string exactly as long as the entry the store wrote, so the baseline moves as many
 * bytes as the strategy's read. The length is measured from what is stored, whatever the store's format: a string
 * entry's length ({@code STRLEN}), or for a hash its field names and values (what {@code HGETALL} returns).
 */
public final class RawRedisGet implements AutoCloseable {
  /** Where the baseline value lives: outside every store's key space. */
  static final String KEY = "hit-path-baseline";

  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;
  private final int bytes;
  private final String entryType;

  /** Sizes the baseline value from the entry stored at {@code entryKey} on the Redis at {@code uri}. */
  public RawRedisGet(String uri, String entryKey) {
    this.client = RedisStore.client(uri, Duration.ofSeconds(2));
    this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    this.redis = connection.sync();
    this.entryType = redis.type(entryKey);
    this.bytes = switch (entryType) {
      case "string" -> Math.toIntExact(redis.strlen(entryKey));
      case "hash" -> redis.hgetall(entryKey).entrySet().stream()
          .mapToInt(e -> e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().length).sum();
      default -> throw new IllegalStateException("no entry to size the baseline by at '" + entryKey + "': "
          + entryType);
    };
    byte[] value = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(value);
    redis.set(KEY, value);
  }

  /** One round trip: the value. */
  public byte[] get() {
    return redis.get(KEY);
  }

  /** The baseline value's length, the stored entry's. */
  public int bytes() {
    return bytes;
  }

  /** How the store keeps its entry ("string", "hash"). */
  public String entryType() {
    return entryType;
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  @Override
  public String toString() {
    return "a raw GET of " + bytes + " bytes (the store's entry is a " + entryType + " of as many)";
  }
}
