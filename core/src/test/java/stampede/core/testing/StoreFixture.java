package stampede.core.testing;

import java.time.Duration;
import stampede.core.CacheStore;
import stampede.core.Locks;
import stampede.core.RedisStore;
import stampede.core.Ticker;
import stampede.core.ValueCodec;

/**
 * A store under test, its lock service, and a way to open another "node" on the same data: for Redis a new
 * {@link RedisStore} (its own connection) on the same prefix; for Caffeine, in one process, the same store
 * and locks (an in-process cache is not shared across real nodes).
 */
public final class StoreFixture<V> implements AutoCloseable {
  public final StoreKind kind;
  public final CacheStore<String, V> store;
  public final Locks locks;
  private final AutoCloseable closer;
  private final Ticker ticker;
  private final ValueCodec<V> codec;
  private final Duration retention;
  private final String prefix;

  StoreFixture(StoreKind kind, CacheStore<String, V> store, Locks locks, AutoCloseable closer, Ticker ticker,
      ValueCodec<V> codec, Duration retention, String prefix) {
    this.kind = kind;
    this.store = store;
    this.locks = locks;
    this.closer = closer;
    this.ticker = ticker;
    this.codec = codec;
    this.retention = retention;
    this.prefix = prefix;
  }

  /** Another node on the same data (see class doc); close it too. */
  public StoreFixture<V> node() {
    if (kind == StoreKind.CAFFEINE) {
      return new StoreFixture<>(kind, store, locks, () -> { }, ticker, codec, retention, prefix);
    }
    RedisStore<String, V> other = new RedisStore<>(SharedRedis.client(), codec, ticker, retention, prefix);
    return new StoreFixture<>(kind, other, other, other::close, ticker, codec, retention, prefix);
  }

  /** The Redis key prefix this fixture writes under (Caffeine: unused). */
  public String prefix() {
    return prefix;
  }

  @Override
  public void close() {
    try {
      closer.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return kind.name();
  }
}
