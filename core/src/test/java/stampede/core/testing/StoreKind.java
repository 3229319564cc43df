package stampede.core.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import stampede.core.CaffeineStore;
import stampede.core.LocalLocks;
import stampede.core.RedisStore;
import stampede.core.Ticker;
import stampede.core.ValueCodec;

/** The two store adapters, for tests that run once per store ({@code @EnumSource(StoreKind.class)}). */
public enum StoreKind {
  CAFFEINE,
  REDIS;

  private static final AtomicInteger NAMESPACE = new AtomicInteger();

  /** A fresh, empty store of this kind on {@code ticker}, with its lock service; close it after the test. */
  public <V> StoreFixture<V> open(Ticker ticker, ValueCodec<V> codec, Duration retention) {
    String prefix = "t" + ProcessHandle.current().pid() + "-" + NAMESPACE.incrementAndGet() + ":";
    return switch (this) {
      case CAFFEINE -> {
        CaffeineStore<String, V> store = new CaffeineStore<>(ticker, Runnable::run, 100_000, retention);
        yield new StoreFixture<>(this, store, new LocalLocks(ticker), () -> { }, ticker, codec, retention, prefix);
      }
      case REDIS -> {
        RedisStore<String, V> store = new RedisStore<>(SharedRedis.client(), codec, ticker, retention, prefix);
        yield new StoreFixture<>(this, store, store, store::close, ticker, codec, retention, prefix);
      }
    };
  }

  public StoreFixture<String> open(Ticker ticker) {
    return open(ticker, ValueCodec.utf8(), Duration.ofMinutes(1));
  }
}
