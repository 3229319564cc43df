package stampede.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import stampede.core.Ticker;

/**
 * A {@link RedisStore} of UTF-8 strings on the shared server, under a key prefix no other fixture of this JVM or
 * another uses, with a retention of one minute (as stampede-testkit's {@code StoreKind.REDIS.open(ticker)}); close it
 * after the test.
 */
final class RedisFixture implements AutoCloseable {
  private static final AtomicInteger NAMESPACE = new AtomicInteger();
  final RedisStore<String, String> store;
  private final RedisKeys<String> keys;

  RedisFixture(Ticker ticker) {
    String prefix = "r" + ProcessHandle.current().pid() + "-" + NAMESPACE.incrementAndGet() + ":";
    this.keys = RedisKeys.strings(prefix);
    this.store = RedisStore.builder(SharedClients.client(), keys, ValueCodec.utf8()).ticker(ticker)
        .retention(Duration.ofMinutes(1)).build();
  }

  RedisKeys<String> redisKeys() {
    return keys;
  }

  @Override
  public void close() {
    store.close();
  }
}
