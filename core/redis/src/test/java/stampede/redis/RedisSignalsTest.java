package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.core.Locks;
import stampede.core.StoreException;
import stampede.redis.RedisLocksTest.Admin;
import stampede.testkit.EmbeddedRedis;

/** The signals of {@link RedisLocks}: who hears them, what a failed subscription leaves, and closing. */
class RedisSignalsTest {
  private static final String PREFIX = "signals-" + ProcessHandle.current().pid() + "-";

  /** A subscription that fails (here: the user may not subscribe) leaks no connection, and works once allowed. */
  @Test
  void failedSubscriptionsLeakNoConnection() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start(); Admin admin = new Admin(redis)) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      try (RedisLocks<String> locks = new RedisLocks<>(client, RedisKeys.strings("x:"));
           RedisLocks<String> other = new RedisLocks<>(client, RedisKeys.strings("x:"))) {
        admin.sync().aclSetuser("default", AclSetuserArgs.Builder.removeCommand(CommandType.SUBSCRIBE)
            .removeCommand(CommandType.PSUBSCRIBE));
        long before = connectedClients(admin);
        for (int i = 0; i < 20; i++) {
          assertThrows(StoreException.class, () -> locks.watch("k"));
        }
        long after = connectedClients(admin);
        assertTrue(after - before <= 1, "20 failed watches opened " + (after - before) + " connections");
        assertEquals(0, locks.watchedNames());

        admin.sync().aclSetuser("default", AclSetuserArgs.Builder.allCommands());
        try (Locks.Watch w = locks.watch("k")) {
          other.signal("k");
          assertTrue(w.await(5, TimeUnit.SECONDS), "signalled once subscribing is allowed again");
        }
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /** Closing the locks wakes its waiters at once (they re-read and fall back), and refuses new watches. */
  @Test
  void closeWakesWaiters() throws Exception {
    RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), RedisKeys.strings(PREFIX + "close:"));
    Locks.Watch w = locks.watch("k");
    CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
      try {
        return w.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    locks.close();
    assertTrue(waiter.get(5, TimeUnit.SECONDS), "woken by close");
    w.close();
    assertThrows(StoreException.class, () -> locks.watch("k"));
  }

  /** Glob characters in the prefix (or the key) do not stop a watcher from hearing its key's signal. */
  @Test
  void globCharactersInPrefixAndKeyStillSignal() throws Exception {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "w[1]?*\\:");
    try (RedisLocks<String> a = new RedisLocks<>(SharedClients.client(), keys);
         RedisLocks<String> b = new RedisLocks<>(SharedClients.client(), keys)) {
      for (String key : new String[] {"k", "*", "[a-z]?", "\\"}) {
        try (Locks.Watch w = a.watch(key)) {
          b.signal(key);
          assertTrue(w.await(5, TimeUnit.SECONDS), "signal of '" + key + "'");
        }
      }
    }
  }

  /**
   * A signal reaches the nodes that wait for its key, not every node: each node subscribes to the channel of a key
   * only while someone waits on it there, and unsubscribes when the last waiter leaves.
   */
  @Test
  void signalsReachOnlyTheNodesThatWait() throws Exception {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "fanout:");
    try (RedisLocks<String> waiting = new RedisLocks<>(SharedClients.client(), keys);
         RedisLocks<String> elsewhere = new RedisLocks<>(SharedClients.client(), keys);
         RedisLocks<String> signalling = new RedisLocks<>(SharedClients.client(), keys);
         Locks.Watch w = waiting.watch("key0");
         Locks.Watch x = elsewhere.watch("another key")) {
      for (int i = 0; i < 100; i++) {
        signalling.signal("key" + i);
      }
      assertTrue(w.await(5, TimeUnit.SECONDS));
      assertFalse(x.await(200, TimeUnit.MILLISECONDS));
      signalling.signal("another key"); // it goes out after the 100 above: once it is heard, they all were
      assertTrue(x.await(5, TimeUnit.SECONDS));
      assertEquals(1, waiting.messagesReceived(), "the waiting node hears its key only");
      assertEquals(1, elsewhere.messagesReceived(), "a node waiting on another key hears that key only");
      assertEquals(0, signalling.messagesReceived());
    }
  }

  /** Once the last waiter of a key leaves, the node unsubscribes: nothing is left subscribed on the server. */
  @Test
  void closedWatchesLeaveNoSubscription() throws Exception {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "unsub:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedClients.client().connect()) {
      Locks.Watch a = locks.watch("k1");
      Locks.Watch b = locks.watch("k1");
      Locks.Watch c = locks.watch("k2");
      assertEquals(2, raw.sync().pubsubChannels(keys.prefix() + "*").size());
      a.close();
      c.close();
      locks.signalsIdle().get(5, TimeUnit.SECONDS);
      assertEquals(List.of(keys.signal("k1")), raw.sync().pubsubChannels(keys.prefix() + "*"));
      b.close();
      locks.signalsIdle().get(5, TimeUnit.SECONDS);
      assertEquals(List.of(), raw.sync().pubsubChannels(keys.prefix() + "*"));
    }
  }

  /**
   * Issue 18, item 5: an UNSUBSCRIBE rejected while Redis is down was forgotten by this process but not by Lettuce,
   * which subscribed the channel again on reconnect. After a restart with no waiter left, 200 of 200 channels were
   * still subscribed and the idle node received 200 of 200 signals meant for other nodes. Each subscription Lettuce
   * restores is now checked against the local waiters: none is left, and the idle node hears nothing.
   */
  @Test
  void noSubscriptionOutlivesAnOutage() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start(); Admin admin = new Admin(redis)) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(1));
      RedisKeys<String> keys = RedisKeys.strings("o:");
      try (RedisLocks<String> idle = new RedisLocks<>(client, keys);
           RedisLocks<String> other = new RedisLocks<>(client, keys)) {
        List<Locks.Watch> watches = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          watches.add(idle.watch("key" + i));
        }
        assertEquals(200, admin.sync().pubsubChannels("o:*").size());
        CountDownLatch down = new CountDownLatch(1);
        client.addListener(new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (connection instanceof StatefulRedisPubSubConnection) {
              down.countDown();
            }
          }
        });
        redis.stop();
        assertTrue(down.await(10, TimeUnit.SECONDS), "the pub/sub connection saw the outage");
        watches.forEach(Locks.Watch::close); // every waiter leaves while Redis is down: UNSUBSCRIBE is rejected
        assertEquals(0, idle.watchedNames());
        redis.restart();

        Locks.Watch barrier = watchOnceReconnected(idle, "barrier");
        String[] channels = new String[200];
        for (int i = 0; i < 200; i++) {
          channels[i] = keys.signal("key" + i);
        }
        long subscribed = subscribers(admin, channels);
        for (long deadline = System.nanoTime() + 5_000_000_000L; subscribed > 0 && System.nanoTime() < deadline; ) {
          Thread.sleep(20);
          subscribed = subscribers(admin, channels);
        }
        assertEquals(0, subscribed, "channels of 200 still subscribed after the outage, with no waiter");
        assertEquals(List.of(keys.signal("barrier")), admin.sync().pubsubChannels("o:*"));

        long before = idle.messagesReceived();
        for (int i = 0; i < 200; i++) {
          other.signal("key" + i);
        }
        other.signal("barrier"); // sent after the 200: once it is heard, any of them would have been
        assertTrue(barrier.await(5, TimeUnit.SECONDS));
        assertEquals(0, idle.messagesReceived() - before - 1, "signals of 200 for other nodes received");
        barrier.close();
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /** A watch, retried while the connection is not back yet. */
  private static Locks.Watch watchOnceReconnected(RedisLocks<String> locks, String key) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try {
        return locks.watch(key);
      } catch (StoreException reconnecting) {
        if (System.nanoTime() > deadline) {
          throw reconnecting;
        }
        Thread.sleep(50);
      }
    }
  }

  /** Subscribers of {@code channels} on the server, summed ({@code PUBSUB NUMSUB}). */
  private static long subscribers(Admin admin, String... channels) {
    return admin.sync().pubsubNumsub(channels).values().stream().mapToLong(Long::longValue).sum();
  }

  private static long connectedClients(Admin admin) {
    String info = admin.sync().info("clients");
    int from = info.indexOf("connected_clients:") + "connected_clients:".length();
    return Long.parseLong(info.substring(from, info.indexOf('\r', from)).trim());
  }
}
