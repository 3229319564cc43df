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
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The fail-fast Lettuce clients behind {@link RedisStore#client} and {@link RedisStore#clusterClient}: commands time
 * out after the timeout and are rejected at once while disconnected, and a lost connection is retried with a bounded
 * backoff. Lettuce's default reconnect delay doubles from 1 ms up to 30 s, so after an outage of a few seconds the
 * next attempt can come many seconds after Redis is back, and every call misses meanwhile; here it doubles from
 * 10 ms with jitter (Lettuce's {@code Delay.fullJitter}) and never exceeds {@code maxReconnectDelay}. A lease's
 * acquire is not replayed after a reconnect ({@link #isAcquire}). Each client owns its {@link ClientResources} and
 * shuts them down with itself; {@code shutdown(quietPeriod, timeout, unit)} returns within about twice
 * {@code max(timeout, 1 s)} even if Lettuce's I/O threads are stuck (it logs a warning and leaves them to finish in the
 * background). See the Lettuce reference guide: "Client resources" ({@code reconnectDelay}), "Client
 * options" ({@code replayFilter}, {@code disconnectedBehavior}) and "Redis Cluster" (topology refresh).
 */
final class RedisClients {
  /** The least a client's shutdown waits for each of its steps (its connections, then its resources). */
  static final Duration MIN_SHUTDOWN_STEP = Duration.ofSeconds(1);
  private static final System.Logger LOG = System.getLogger("stampede.redis");

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
    return type == CommandType.EVAL || (type == CommandType.EVALSHA && command.getArgs() != null
        && RedisScript.isNotReplayed(command.getArgs().getFirstString()));
  }

  private static ClientResources resources(Duration maxReconnectDelay) {
    if (maxReconnectDelay.isNegative() || maxReconnectDelay.isZero()) {
      throw new IllegalArgumentException("maxReconnectDelay must be > 0: " + maxReconnectDelay);
    }
    return ClientResources.builder()
        .reconnectDelay(Delay.fullJitter(Duration.ZERO, maxReconnectDelay, 10, TimeUnit.MILLISECONDS))
        .build();
  }

  /**
   * Shuts the resources down after the client's connections, each step waited for at most
   * {@code max(timeout, 1 s)}: Lettuce waits for its connections to close, and netty for its event loops to end,
   * without a bound (a stuck I/O thread stops both). Past a step's bound it says so (a warning) and goes on; the
   * client's failure, if any, is passed on once the resources are shut down.
   */
  // FutureReturnValueIgnored: supplyAsync(client) returns the client's own shutdown future, a nested future that
  // thenCompose(f -> f) flattens; nothing is dropped.
  @SuppressWarnings("FutureReturnValueIgnored")
  private static CompletableFuture<Void> shutDown(ClientResources resources, AtomicBoolean done,
      Supplier<CompletableFuture<Void>> client, long quietPeriod, long timeout, TimeUnit unit) {
    long bound = Math.max(unit.toNanos(timeout), MIN_SHUTDOWN_STEP.toNanos());
    CompletableFuture<Void> connections = CompletableFuture.supplyAsync(client, RedisConnection::onItsOwnThread)
        .thenCompose(f -> f);
    return bounded(connections, bound, "the Redis client's connections").handle((v, failure) -> {
      CompletableFuture<Void> all = new CompletableFuture<>();
      CompletableFuture<Void> shutDown = bounded(all, bound, "the Redis client's resources (event loops)");
      RedisConnection.onItsOwnThread(() -> { // netty's shutdown call itself may block
        if (done.compareAndSet(false, true)) {
          resources.shutdown(quietPeriod, timeout, unit).addListener(f -> all.complete(null));
        } else {
          all.complete(null);
        }
      });
      return shutDown.thenCompose(r -> failure == null
          ? CompletableFuture.<Void>completedFuture(null) : CompletableFuture.<Void>failedFuture(failure));
    }).thenCompose(f -> f);
  }

  /** Completes as {@code step}, or normally after {@code boundNanos} with a warning that it did not finish. */
  // FutureReturnValueIgnored: step.whenComplete only copies step's outcome into result, which is returned
  @SuppressWarnings("FutureReturnValueIgnored")
  private static CompletableFuture<Void> bounded(CompletableFuture<Void> step, long boundNanos, String what) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    step.whenComplete((v, e) -> {
      if (e == null) {
        result.complete(null);
      } else {
        result.completeExceptionally(e);
      }
    });
    Executor late = task -> { // off the JDK's delay thread: what depends on the result may block
      if (!result.isDone()) {
        RedisConnection.onItsOwnThread(task);
      }
    };
    CompletableFuture.delayedExecutor(boundNanos, TimeUnit.NANOSECONDS, late).execute(() -> {
      if (result.complete(null)) {
        LOG.log(System.Logger.Level.WARNING, what + " did not shut down within " + Duration.ofNanos(boundNanos)
            + ": left to finish in the background");
      }
    });
    return result;
  }

  /** A RedisClient that owns its resources (Lettuce treats given resources as shared and leaves them running). */
  private static final class OwningRedisClient extends RedisClient {
    private final AtomicBoolean resourcesShutDown = new AtomicBoolean();

    OwningRedisClient(ClientResources resources, RedisURI uri) {
      super(resources, uri);
    }

    @Override
    public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit unit) {
      return shutDown(getResources(), resourcesShutDown, () -> super.shutdownAsync(quietPeriod, timeout, unit),
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
      return shutDown(getResources(), resourcesShutDown, () -> super.shutdownAsync(quietPeriod, timeout, unit),
          quietPeriod, timeout, unit);
    }
  }
}
