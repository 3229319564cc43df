package stampede.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.AsyncCloseable;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import stampede.core.Nullable;
import stampede.core.StoreException;

/**
 * One Lettuce connection to a single Redis ({@link RedisClient}) or to a Redis Cluster ({@link RedisClusterClient}),
 * seen through the commands both share ({@link RedisClusterCommands}), so {@link RedisStore} and {@link RedisLocks}
 * are written once for both. Names are strings, values bytes.
 *
 * <p><b>Interrupts.</b> A thread interrupted while it waits for Redis gets Lettuce's
 * {@link RedisCommandInterruptedException} (its interrupt status set); the command was sent and may still run.
 * {@link #isInterrupt} tells it from a failure of Redis, so the store and the locks report it as the caller's
 * cancellation ({@code InterruptedLoadException}), never as a {@link StoreException}. Clean-ups (a release, a signal)
 * wait with {@link #awaitUninterruptibly} instead: they run for a cancelled caller too.
 *
 * <p><b>Closing.</b> Lettuce's {@code close()} waits without a bound for its I/O thread to close the channel (under a
 * 10,000-thread load it blocked for more than 5 minutes). {@link #close} and {@link #closeAll} start Lettuce's
 * {@code closeAsync()} (on a short-lived thread of their own, as it can itself wait for Lettuce's write lock) and wait
 * at most a bound, the command timeout: past it they give up, log a warning ({@link System.Logger}
 * {@code stampede.redis}), and the connection goes on closing in the background.
 */
final class RedisConnection implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("stampede.redis");

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

  /** The command timeout of this connection (the client's). */
  Duration timeout() {
    return connection.getTimeout();
  }

  /**
   * True if {@code failure} is the calling thread's interrupt: Lettuce's {@link RedisCommandInterruptedException}, or
   * an {@link InterruptedException} among its causes.
   */
  static boolean isInterrupt(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RedisCommandInterruptedException || t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Waits for {@code command} even if the thread is interrupted meanwhile (or was before), at most {@code bound}
   * (the command itself times out after the connection's timeout, so pass more than that); the interrupt status is
   * set again afterwards. A clean-up that must run for a cancelled caller too waits this way.
   *
   * @throws RedisException what the command failed with, or a {@link RedisCommandTimeoutException} after
   *                        {@code bound}
   */
  static <T> T awaitUninterruptibly(CompletionStage<T> command, Duration bound) {
    CompletableFuture<T> future = command.toCompletableFuture();
    long deadline = System.nanoTime() + bound.toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          throw cause instanceof RedisException r ? r : new RedisException(cause);
        } catch (TimeoutException e) {
          throw new RedisCommandTimeoutException("no answer within " + bound);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean isOpen() {
    return connection.isOpen();
  }

  /** Closes the connection, waiting at most the command timeout ({@link #closeAll}). */
  @Override
  public void close() {
    closeAll(timeout(), "a Redis connection", connection);
  }

  /** The Lettuce connection, to close along with others in one {@link #closeAll}. */
  AsyncCloseable closeable() {
    return connection;
  }

  /**
   * Closes {@code connections} (nulls skipped) at once and waits at most {@code bound} for all of them, also if the
   * thread is interrupted meanwhile (its interrupt status is set again). Past the bound it gives up and logs a
   * warning naming {@code what}; they go on closing in the background.
   *
   * @return true if all closed within the bound
   */
  // FutureReturnValueIgnored: supplyAsync(c::closeAsync) is a nested future that thenCompose(f -> f) flattens
  @SuppressWarnings("FutureReturnValueIgnored")
  static boolean closeAll(Duration bound, String what, @Nullable AsyncCloseable... connections) {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (AsyncCloseable c : connections) {
      if (c != null) {
        closing.add(CompletableFuture.supplyAsync(c::closeAsync, RedisConnection::onItsOwnThread)
            .thenCompose(f -> f));
      }
    }
    try {
      awaitUninterruptibly(CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)), bound);
      return true;
    } catch (RedisCommandTimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, what + " did not close within " + bound
          + " (Lettuce's I/O thread is busy or stuck): left closing in the background");
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, what + " failed to close: " + e, e);
    }
    return false;
  }

  /** Runs {@code task} on a new daemon thread: a close that may block never blocks its caller past the bound. */
  static void onItsOwnThread(Runnable task) {
    Thread t = new Thread(task, "stampede-redis-close");
    t.setDaemon(true);
    t.start();
  }
}
