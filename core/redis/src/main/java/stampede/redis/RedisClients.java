package stampede.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fail-fast Lettuce clients behind {@link RedisStore#client} and {@link RedisStore#clusterClient}: commands time
 * out after the timeout and are rejected at once while disconnected, and a lost connection is retried with a bounded
 * backoff. Lettuce's default reconnect delay doubles from 1 ms up to 30 s, so after an outage of a few seconds the
 * next attempt can come many seconds after Redis is back, and every call misses meanwhile; here it doubles from
 * 10 ms with jitter (Lettuce's {@code Delay.fullJitter}) and never exceeds {@code maxReconnectDelay}. A lease's
 * acquire is not replayed after a reconnect ({@link #isAcquire}). Each client owns its {@link ClientResources} and
 * shuts them down with itself. See the Lettuce reference guide: "Client resources" ({@code reconnectDelay}), "Client
 * options" ({@code replayFilter}, {@code disconnectedBehavior}) and "Redis Cluster" (topology refresh).
 */
final class RedisClients {
  private RedisClients() { }

  static RedisClient single(String uri, Duration timeout, Duration maxReconnectDelay) {
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(timeout);
    RedisClient client = new OwningRedisClient(resources(maxReconnectDelay), redisUri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .replayFilter(RedisClients::isAcquire)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
        .build());
    return client;
  }

  static RedisClusterClient cluster(Iterable<RedisURI> seeds, Duration timeout, Duration maxReconnectDelay) {
    List<RedisURI> uris = new ArrayList<>();
    for (RedisURI seed : seeds) {
      RedisURI uri = RedisURI.builder(seed).withTimeout(timeout).build();
      uris.add(uri);
    }
    RedisClusterClient client = new OwningRedisClusterClient(resources(maxReconnectDelay), uris);
    ClusterClientOptions.Builder options = ClusterClientOptions.builder();
    options.replayFilter(RedisClients::isAcquire); // declared on ClientOptions.Builder: set it on its own
    client.setOptions(options
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
        // A failover moves slots: learn it from MOVED, from persistent reconnects to a dead master, and at least
        // every 10 s; adaptive refreshes at most once per second.
        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
            .enableAllAdaptiveRefreshTriggers()
            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
            .refreshTriggersReconnectAttempts(2)
            .enablePeriodicRefresh(Duration.ofSeconds(10))
            .build())
        .build());
    return client;
  }

  /**
   * An acquire is not replayed after a reconnect (it is dropped, and its caller times out): replayed, it would find
   * the lease its first run took and answer "held", leaving that lease to run out. Every other command is replayed
   * as usual: a replayed write, renew or release is harmless. ({@code EVAL} is only the fallback after
   * {@code NOSCRIPT}: none of those is replayed.)
   */
  static boolean isAcquire(RedisCommand<?, ?, ?> command) {
    ProtocolKeyword type = command.getType();
    return type == CommandType.EVAL || type == CommandType.EVALSHA && command.getArgs() != null
        && RedisLocks.ACQUIRE.sha().equals(command.getArgs().getFirstString());
  }

  private static ClientResources resources(Duration maxReconnectDelay) {
    if (maxReconnectDelay.isNegative() || maxReconnectDelay.isZero()) {
      throw new IllegalArgumentException("maxReconnectDelay must be > 0: " + maxReconnectDelay);
    }
    return ClientResources.builder()
        .reconnectDelay(Delay.fullJitter(Duration.ZERO, maxReconnectDelay, 10, TimeUnit.MILLISECONDS))
        .build();
  }

  /** Shuts the resources down after the client's connections. */
  private static CompletableFuture<Void> shutDown(ClientResources resources, AtomicBoolean done,
      CompletableFuture<Void> client, long quietPeriod, long timeout, TimeUnit unit) {
    return client.thenCompose(v -> {
      CompletableFuture<Void> all = new CompletableFuture<>();
      if (done.compareAndSet(false, true)) {
        resources.shutdown(quietPeriod, timeout, unit).addListener(f -> all.complete(null));
      } else {
        all.complete(null);
      }
      return all;
    });
  }

  /** A RedisClient that owns its resources (Lettuce treats given resources as shared and leaves them running). */
  private static final class OwningRedisClient extends RedisClient {
    private final AtomicBoolean resourcesShutDown = new AtomicBoolean();

    OwningRedisClient(ClientResources resources, RedisURI uri) {
      super(resources, uri);
    }

    @Override
    public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit unit) {
      return shutDown(getResources(), resourcesShutDown, super.shutdownAsync(quietPeriod, timeout, unit),
          quietPeriod, timeout, unit);
    }
  }

  /** A RedisClusterClient that owns its resources. */
  private static final class OwningRedisClusterClient extends RedisClusterClient {
    private final AtomicBoolean resourcesShutDown = new AtomicBoolean();

    OwningRedisClusterClient(ClientResources resources, Iterable<RedisURI> seeds) {
      super(resources, seeds);
    }

    @Override
    public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit unit) {
      return shutDown(getResources(), resourcesShutDown, super.shutdownAsync(quietPeriod, timeout, unit),
          quietPeriod, timeout, unit);
    }
  }
}
