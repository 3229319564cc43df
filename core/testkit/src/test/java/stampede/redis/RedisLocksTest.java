package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import stampede.testkit.SharedRedis;

/** Redis-only behaviour of the leases: what they leave behind in Redis, and what happens to them under faults. */
class RedisLocksTest {
  private static final String PREFIX = "locks-" + ProcessHandle.current().pid() + "-";

  /** The fencing counter expires ({@link RedisLocks#FENCE_TTL} after the key's last lease), unlike before. */
  @Test
  void theFencingCounterExpires() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "ttl:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedRedis.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedRedis.client().connect()) {
      assertTrue(locks.tryAcquire("k", "me", 60_000) > 0);
      long ttl = raw.sync().pttl(keys.fence("k"));
      assertTrue(ttl > 0 && ttl <= RedisLocks.FENCE_TTL.toMillis(), "fence counter PTTL " + ttl);
    }
  }

  /** With the counter gone (expired, or lost with a restart), tokens still grow: they are floored at Redis TIME. */
  @Test
  void tokensGrowAfterTheCounterExpired() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "grow:");
    try (RedisLocks<String> locks = new RedisLocks<>(SharedRedis.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedRedis.client().connect()) {
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
    try (RedisLocks<String> locks = new RedisLocks<>(SharedRedis.client(), keys);
         StatefulRedisConnection<String, String> raw = SharedRedis.client().connect()) {
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
