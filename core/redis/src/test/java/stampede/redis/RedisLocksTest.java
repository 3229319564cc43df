package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.core.StoreException;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.SharedRedisServer;

/** Redis-only behaviour of the leases: what they leave behind in Redis, and what happens to them under faults. */
class RedisLocksTest {
  private static final String PREFIX = "locks-" + ProcessHandle.current().pid() + "-";

  /** The fencing counter expires ({@link RedisLocks#FENCE_TTL} after the key's last lease), unlike before. */
  @Test
  void theFencingCounterExpires() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "ttl:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedClients.client().connect()) {
      assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
      long ttl = raw.sync().pttl(keys.fence("k"));
      assertTrue(ttl > 0 && ttl <= RedisLocks.FENCE_TTL.toMillis(), "fence counter PTTL " + ttl);
    }
  }

  /** With the counter gone (expired, or lost with a restart), tokens still grow: they are floored at Redis TIME. */
  @Test
  void tokensGrowAfterTheCounterExpired() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "grow:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedClients.client().connect()) {
      long previous = 0;
      for (int i = 0; i < 20; i++) {
        long token = locks.tryAcquire("k", "owner" + i, 60_000);
        assertTrue(token > previous, "token " + token + " after " + previous);
        assertTrue(locks.release("k", "owner" + i));
        if (i % 2 == 0) {
          assertEquals(1, raw.sync().del(keys.fence("k")), "what the counter's expiry does");
        }
        previous = token;
      }
    }
  }

  /** Locking many keys leaves no key without an expiry behind: none piles up under {@code noeviction}. */
  @Test
  void lockingManyKeysLeavesNoPermanentKey() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "many:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedClients.client().connect()) {
      for (int i = 0; i < 500; i++) {
        assertTrue(locks.tryAcquire("key" + i, "me", 60_000) > 0);
        assertTrue(locks.release("key" + i, "me"));
      }
      List<String> left = scan(raw.sync(), keys.prefix() + "*");
      assertEquals(500, left.size(), "one fencing counter per key: " + left.size());
      List<String> permanent = new ArrayList<>();
      for (String name : left) {
        if (raw.sync().pttl(name) < 0) {
          permanent.add(name);
        }
      }
      assertEquals(List.of(), permanent.subList(0, Math.min(5, permanent.size())),
          permanent.size() + " keys without expiry");
    }
  }

  /**
   * An acquire that times out on the client (Redis paused past the timeout) still runs on the server later; the
   * lease it takes is released in the background, not left for a whole lease with nobody holding it.
   */
  @Test
  void aTimedOutAcquireLeavesNoLease() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start(); Admin admin = new Admin(redis)) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(300));
      RedisKeys<String> keys = RedisKeys.strings("x:");
      try (RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        admin.sync().clientPause(1_500);
        assertThrows(StoreException.class, () -> locks.tryAcquire("k", "me", 60_000));
        assertEquals("PONG", admin.sync().ping(), "the pause is over");
        locks.cleanups().get(10, TimeUnit.SECONDS);
        assertNull(admin.sync().get(keys.lock("k")), "lease left by the timed-out acquire");
        assertTrue(locks.tryAcquire("k", "other", 60_000) > 0);
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /**
   * A release that fails (here: rejected while the connection is down) is retried in the background once Redis can
   * be reached again, instead of leaving the lease for a whole lease.
   */
  @Test
  void aFailedReleaseIsRetriedUntilItRuns() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start(); Admin admin = new Admin(redis)) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      RedisKeys<String> keys = RedisKeys.strings("x:");
      try (RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
        CountDownLatch disconnected = new CountDownLatch(1);
        client.addListener(new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            disconnected.countDown();
          }
        });
        admin.sync().configSet("maxclients", "1"); // the admin's: no reconnect gets in
        admin.sync().clientKill(KillArgs.Builder.typeNormal().skipme());
        assertTrue(disconnected.await(10, TimeUnit.SECONDS));
        assertThrows(StoreException.class, () -> locks.release("k", "me"));
        assertEquals("me", admin.sync().get(keys.lock("k")));
        admin.sync().configSet("maxclients", "1000");
        locks.cleanups().get(20, TimeUnit.SECONDS);
        assertNull(admin.sync().get(keys.lock("k")), "lease left by the failed release");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /**
   * The clients never replay an acquire after a reconnect: replayed, it would find the lease its own first run took
   * and answer 0, orphaning it. Other commands, scripts included, are replayed as usual.
   */
  @Test
  void theClientsNeverReplayAnAcquire() {
    RedisClient single = RedisStore.client(SharedRedisServer.server().uri(), Duration.ofSeconds(1));
    RedisClusterClient cluster = RedisStore.clusterClient(List.of(RedisURI.create(SharedRedisServer.server().uri())),
        Duration.ofSeconds(1));
    try {
      for (ClientOptions options : List.of(single.getOptions(), cluster.getOptions())) {
        assertTrue(options.getReplayFilter().test(evalsha(RedisLocks.ACQUIRE.sha())));
        assertFalse(options.getReplayFilter().test(evalsha("0123456789abcdef0123456789abcdef01234567")));
        assertFalse(options.getReplayFilter().test(new Command<>(CommandType.GET, new StatusOutput<>(
            StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8).addKey("k"))));
      }
    } finally {
      single.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      cluster.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  private static Command<String, String, String> evalsha(String sha) {
    return new Command<>(CommandType.EVALSHA, new StatusOutput<>(StringCodec.UTF8),
        new CommandArgs<>(StringCodec.UTF8).add(sha).add(1).addKey("k").addValue("owner"));
  }

  /** An acquire by the owner that holds the lease answers 0, as for anyone else: leases are not re-entrant. */
  @Test
  void anAcquireByTheHolderAnswersZero() {
    try (RedisLocks<String> locks = new RedisLocks<>(SharedClients.client(), RedisKeys.strings(PREFIX + "again:"))) {
      assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
      assertEquals(0, locks.tryAcquire("k", "me", 60_000));
      assertTrue(locks.release("k", "me"));
    }
  }

  /** A connection of its own to a test's Redis, with a timeout long enough to sit out a pause. */
  static final class Admin implements AutoCloseable {
    private final RedisClient client = RedisClient.create();
    private final StatefulRedisConnection<String, String> connection;

    Admin(EmbeddedRedis redis) {
      RedisURI uri = RedisURI.create(redis.uri());
      uri.setTimeout(Duration.ofSeconds(10));
      connection = client.connect(uri);
    }

    RedisCommands<String, String> sync() {
      return connection.sync();
    }

    @Override
    public void close() {
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  static List<String> scan(RedisCommands<String, String> redis, String pattern) {
    List<String> names = new ArrayList<>();
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
      names.addAll(page.getKeys());
      cursor = page;
    } while (!cursor.isFinished());
    return names;
  }
}
