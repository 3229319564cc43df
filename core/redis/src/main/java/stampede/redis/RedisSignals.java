package stampede.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import stampede.core.InterruptedLoadException;
import stampede.core.Locks;
import stampede.core.Nullable;
import stampede.core.StoreException;

/**
 * The signals of {@link RedisLocks}: {@code PUBLISH} on a key's channel ({@link RedisKeys#signal}), and a
 * {@code SUBSCRIBE} to that channel only while someone in this process waits on the key, so a node hears the keys it
 * waits for and no others (as Redisson subscribes per lock while a thread waits: {@code RedissonLock},
 * {@code LockPubSub}). One pub/sub connection per instance, opened on the first {@link #watch} and reused (a failed
 * {@code SUBSCRIBE} leaves no connection behind); Lettuce subscribes it again after a reconnect.
 *
 * <p><b>After an outage.</b> Lettuce restores after a reconnect every subscription it has not seen unsubscribed,
 * including those whose {@code UNSUBSCRIBE} was rejected while Redis was down (their waiters left meanwhile). Each
 * subscription the server confirms is checked against the local waiters, and one with none is unsubscribed at once
 * (one {@code UNSUBSCRIBE} per restored channel, no retry loop: one rejected again is restored, and checked, at the
 * next reconnect). So once reconnected a node stays subscribed only to the keys it waits for, and hears no signal
 * meant for others.
 *
 * <p>A key's first local watcher sends {@code SUBSCRIBE} and waits for the server's confirmation before returning,
 * so a signal sent after {@link #watch} returns is heard; later watchers of the key wait for the same confirmation;
 * the last one to leave sends {@code UNSUBSCRIBE}. Both are sent under the key's map entry, so the server sees them
 * in the order they were decided. {@link #close} wakes every waiter. A watcher interrupted while it waits for the
 * confirmation leaves at once and gets an {@code InterruptedLoadException} (the caller's cancellation, not a Redis
 * failure), with its interrupt status set.
 *
 * <p>On Redis Cluster the pub/sub connection goes to one node, and a {@code PUBLISH} on any node reaches every node
 * over the cluster bus: each process still receives only its keys' signals, but the bus carries every signal to
 * every node (Redis 7's sharded pub/sub, {@code SSUBSCRIBE}, would keep it within the key's shard).
 */
final class RedisSignals implements AutoCloseable {
  /** The local waiters of one channel, and the server's confirmation of its subscription. */
  private static final class Channel {
    final Set<CountDownLatch> waiters = ConcurrentHashMap.newKeySet();
    @Nullable CompletableFuture<Void> subscribed;
  }

  private final AbstractRedisClient client;
  private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
  private final AtomicLong received = new AtomicLong();
  private volatile @Nullable StatefulRedisPubSubConnection<String, byte[]> pubSub;
  private volatile CompletableFuture<Void> lastSent = CompletableFuture.completedFuture(null);
  private volatile boolean closed;

  RedisSignals(AbstractRedisClient client) {
    this.client = client;
  }

  /**
   * Subscribes {@code channel} (of {@code key}) for one more local waiter; returns once the server has confirmed it.
   *
   * @throws InterruptedLoadException if the thread is interrupted while it waits; it leaves no waiter behind, and
   *                                  the channel is unsubscribed if it has no other
   */
  Locks.Watch watch(Object key, String channel) {
    StatefulRedisPubSubConnection<String, byte[]> ps = connection(key);
    CountDownLatch latch = new CountDownLatch(1);
    CompletableFuture<?>[] confirmed = new CompletableFuture<?>[1];
    channels.compute(channel, (name, ch) -> {
      Channel c = ch != null ? ch : new Channel();
      if (c.subscribed == null || c.subscribed.isCompletedExceptionally()) {
        c.subscribed = send(() -> ps.async().subscribe(name).toCompletableFuture());
      }
      c.waiters.add(latch);
      confirmed[0] = c.subscribed;
      return c;
    });
    Locks.Watch watch = new Locks.Watch() {
      @Override
      public boolean await(long t, TimeUnit unit) throws InterruptedException {
        return latch.await(t, unit);
      }

      @Override
      public void close() {
        leave(channel, latch);
      }
    };
    try {
      confirmed[0].get(ps.getTimeout().toNanos() * 2, TimeUnit.NANOSECONDS); // the command times out first
    } catch (ExecutionException | TimeoutException e) {
      watch.close();
      Throwable cause = e instanceof ExecutionException ? Objects.requireNonNullElse(e.getCause(), e) : e;
      throw new StoreException("Redis SUBSCRIBE of '" + channel + "' failed: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      watch.close();
      throw InterruptedLoadException.of(key, "while subscribing to '" + channel + "'", e);
    }
    if (closed) {
      latch.countDown(); // closed meanwhile: do not wait on a dead connection
    }
    return watch;
  }

  // FutureReturnValueIgnored: send() records the UNSUBSCRIBE in lastSent (close() waits for it) and a failure is
  // harmless (the reconnect's reconcile() unsubscribes again)
  @SuppressWarnings("FutureReturnValueIgnored")
  private void leave(String channel, CountDownLatch latch) {
    channels.computeIfPresent(channel, (name, c) -> {
      if (!c.waiters.remove(latch) || !c.waiters.isEmpty()) {
        return c;
      }
      StatefulRedisPubSubConnection<String, byte[]> ps = pubSub;
      if (ps != null && !closed) { // even after a failed SUBSCRIBE: a timed-out one may still have run
        send(() -> ps.async().unsubscribe(name).toCompletableFuture());
      }
      return null;
    });
  }

  /**
   * The server confirmed a subscription to {@code channel}: if no one here waits on it any more, it is a subscription
   * Lettuce restored after a reconnect (an {@code UNSUBSCRIBE} rejected while disconnected is forgotten here but not
   * by Lettuce, which subscribes again every channel it has not seen unsubscribed), or one whose waiter left before
   * it was confirmed. Unsubscribe it: one {@code UNSUBSCRIBE} per such confirmation, decided under the channel's map
   * entry (so after a new waiter's {@code SUBSCRIBE}, never instead of it), off Lettuce's I/O thread.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // as leave(): send() keeps the future in lastSent
  private void reconcile(String channel) {
    if (closed || channels.containsKey(channel)) {
      return;
    }
    try {
      client.getResources().eventExecutorGroup().execute(() -> channels.compute(channel, (name, c) -> {
        StatefulRedisPubSubConnection<String, byte[]> ps = pubSub;
        if (c == null && ps != null && !closed) {
          send(() -> ps.async().unsubscribe(name).toCompletableFuture());
        }
        return c;
      }));
    } catch (RejectedExecutionException shuttingDown) {
      // the client is shutting down: its connections go with it
    }
  }

  /** Sends one (un)subscription; remembers it, so tests can wait until the server has seen every one. */
  private CompletableFuture<Void> send(Supplier<CompletableFuture<Void>> command) {
    CompletableFuture<Void> sent;
    try {
      sent = command.get();
    } catch (RedisException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    lastSent = sent;
    return sent;
  }

  private StatefulRedisPubSubConnection<String, byte[]> connection(Object key) {
    StatefulRedisPubSubConnection<String, byte[]> ps = pubSub;
    if (ps != null && !closed) {
      return ps;
    }
    synchronized (this) {
      if (closed) {
        throw new StoreException("the locks are closed", null);
      }
      if (pubSub == null) {
        try {
          StatefulRedisPubSubConnection<String, byte[]> opened = RedisConnection.openPubSub(client);
          opened.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
              received.incrementAndGet();
              Channel c = channels.get(channel);
              if (c != null) {
                List.copyOf(c.waiters).forEach(CountDownLatch::countDown); // a later waiter waits for the next
              }
            }

            @Override
            public void subscribed(String channel, long count) {
              reconcile(channel);
            }
          });
          pubSub = opened;
        } catch (RedisException e) {
          if (RedisConnection.isInterrupt(e)) {
            throw InterruptedLoadException.of(key, "while opening a Redis pub/sub connection", e);
          }
          throw new StoreException("cannot open a Redis pub/sub connection: " + e.getMessage(), e);
        }
      }
      return pubSub;
    }
  }

  /** Signals received by this instance, for any key (for tests and the README's fan-out figures). */
  long received() {
    return received.get();
  }

  /** Channels with a local waiter now. */
  int channels() {
    return channels.size();
  }

  /** Completes once the server has answered every (un)subscription sent so far (they are answered in order). */
  CompletableFuture<Void> idle() {
    return lastSent.handle((v, e) -> null);
  }

  /**
   * Wakes every waiter and closes the connection, waiting at most its command timeout
   * ({@link RedisConnection#closeAll}); later watches fail.
   */
  @Override
  public void close() {
    StatefulRedisPubSubConnection<String, byte[]> ps = stop();
    if (ps != null) {
      RedisConnection.closeAll(ps.getTimeout(), "the Redis pub/sub connection", ps);
    }
  }

  /** Wakes every waiter and refuses later watches; returns the connection to close, or null if none was opened. */
  @Nullable StatefulRedisPubSubConnection<String, byte[]> stop() {
    synchronized (this) {
      closed = true;
    }
    channels.values().forEach(c -> c.waiters.forEach(CountDownLatch::countDown));
    return pubSub;
  }
}
