package stampede.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.Objects;
import stampede.core.StoreException;

/**
 * One Lettuce connection to a single Redis ({@link RedisClient}) or to a Redis Cluster ({@link RedisClusterClient}),
 * seen through the commands both share ({@link RedisClusterCommands}), so {@link RedisStore} and {@link RedisLocks}
 * are written once for both. Names are strings, values bytes.
 */
final class RedisConnection implements AutoCloseable {
  static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  final RedisClusterCommands<String, byte[]> sync;
  final RedisClusterAsyncCommands<String, byte[]> async;
  private final StatefulConnection<String, byte[]> connection;
  private final AbstractRedisClient client;

  private RedisConnection(AbstractRedisClient client, StatefulConnection<String, byte[]> connection,
      RedisClusterCommands<String, byte[]> sync, RedisClusterAsyncCommands<String, byte[]> async) {
    this.client = client;
    this.connection = connection;
    this.sync = sync;
    this.async = async;
  }

  /** Connects; a {@link StoreException} if Redis cannot be reached. */
  static RedisConnection open(AbstractRedisClient client) {
    Objects.requireNonNull(client, "client");
    try {
      if (client instanceof RedisClusterClient cluster) {
        StatefulRedisClusterConnection<String, byte[]> c = cluster.connect(CODEC);
        return new RedisConnection(client, c, c.sync(), c.async());
      }
      if (client instanceof RedisClient single) {
        StatefulRedisConnection<String, byte[]> c = single.connect(CODEC);
        return new RedisConnection(client, c, c.sync(), c.async());
      }
    } catch (RedisException e) {
      throw new StoreException("cannot connect to Redis: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("a RedisClient or a RedisClusterClient, not " + client.getClass().getName());
  }

  /** A pub/sub connection of the same client (on a cluster: to one node; PUBLISH reaches every node). */
  static StatefulRedisPubSubConnection<String, byte[]> openPubSub(AbstractRedisClient client) {
    if (client instanceof RedisClusterClient cluster) {
      return cluster.connectPubSub(CODEC);
    }
    if (client instanceof RedisClient single) {
      return single.connectPubSub(CODEC);
    }
    throw new IllegalArgumentException("a RedisClient or a RedisClusterClient, not " + client.getClass().getName());
  }

  /** Lettuce's event executors: where background clean-ups are scheduled (no thread of our own). */
  EventExecutorGroup executor() {
    return client.getResources().eventExecutorGroup();
  }

  AbstractRedisClient client() {
    return client;
  }

  boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public void close() {
    connection.close();
  }
}
