package stampede.nearcache;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;

/**
 * After a write on node A is acknowledged, node B never serves the older value later than the bound, over generated
 * interleavings of reads, writes, lost invalidations (the tracking connection killed) and pauses on two nodes, with
 * a reader thread per node reading all along (so reads race the writes and the invalidations).
 *
 * <ul>
 *   <li>{@link #noNodeServesAnOlderValueOnceTheWriteIsKnownThere}: L1's clock never moves (maxAge can hide nothing):
 *       after each write every node comes to serve the new version (within 10 s: a stale copy stuck in L1 fails
 *       it), and from then on no read on that node, the reader threads' included, returns an older one. Only the
 *       marks, the invalidations and the flushes can keep this.</li>
 *   <li>{@link #noNodeServesAnOlderValueMoreThanMaxAgeAfterTheWrite}: the documented bound on the real clock, with no
 *       waiting: a read that starts more than maxAge after a newer version was acknowledged never returns the older
 *       one.</li>
 * </ul>
 */
class NearCacheStalenessProperties {
  private static final String[] KEYS = {"a", "b"};

  sealed interface Op permits Write, Read, Kill, Pause { }

  record Write(int node, int key) implements Op { }

  record Read(int node, int key) implements Op { }

  record Kill(int node) implements Op { }

  record Pause(int millis) implements Op { }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> node = Arbitraries.integers().between(0, 1);
    Arbitrary<Integer> key = Arbitraries.integers().between(0, KEYS.length - 1);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Combinators.combine(node, key).as(Write::new)),
        net.jqwik.api.Tuple.of(6, Combinators.combine(node, key).as(Read::new)),
        net.jqwik.api.Tuple.of(1, node.map(Kill::new)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 5).map(Pause::new)));
    return op.list().ofMinSize(5).ofMaxSize(40);
  }

  @Property(tries = 25)
  void noNodeServesAnOlderValueOnceTheWriteIsKnownThere(@ForAll("ops") List<Op> ops) throws Exception {
    run(ops, false);
  }

  @Property(tries = 10)
  void noNodeServesAnOlderValueMoreThanMaxAgeAfterTheWrite(@ForAll("ops") List<Op> ops) throws Exception {
    run(ops, true);
  }

  private static final java.time.Duration MAX_AGE = java.time.Duration.ofMillis(100);
  private static final AtomicInteger PREFIX = new AtomicInteger();

  /** A version acknowledged at a time (System.nanoTime()). */
  record Acked(long version, long at) { }

  private void run(List<Op> ops, boolean realClock) throws Exception {
    RedisClient client = SharedRedis.client();
    RedisKeys<String> keys = RedisKeys.strings("stale" + ProcessHandle.current().pid() + "-"
        + PREFIX.incrementAndGet() + ":");
    Ticker wall = Ticker.wall();
    List<RedisStore<String, String>> stores = new ArrayList<>();
    List<NearCache<String, String>> nodes = new ArrayList<>();
    // per key: every acknowledged version, and (frozen clock) the versions every node has heard of
    ConcurrentHashMap<String, List<Acked>> acked = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, AtomicLong> known = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    for (String k : KEYS) {
      acked.put(k, new java.util.concurrent.CopyOnWriteArrayList<>());
      known.put(0 + k, new AtomicLong(-1));
      known.put(1 + k, new AtomicLong(-1));
    }
    AtomicLong versions = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    var running = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (StatefulRedisConnection<String, String> admin = client.connect()) {
      for (int i = 0; i < 2; i++) {
        RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
        stores.add(store);
        NearCache.Builder<String, String> b = NearCache.builder(store, client).maxAge(MAX_AGE);
        nodes.add((realClock ? b : b.clock(new ManualTicker())).build());
      }
      for (int i = 0; i < 2; i++) {
        NearCache<String, String> node = nodes.get(i);
        String id = Integer.toString(i);
        Thread t = new Thread(() -> {
          while (running.get()) {
            check(node, id, KEYS[ThreadLocalRandom.current().nextInt(KEYS.length)], realClock, acked, known, violations);
            java.util.concurrent.locks.LockSupport.parkNanos(20_000); // reads all along, without burning a core
          }
        }, "reader");
        t.setDaemon(true);
        t.start();
        readers.add(t);
      }
      for (Op op : ops) {
        if (op instanceof Write w) {
            String key = KEYS[w.key()];
            long version = versions.incrementAndGet();
            long now = wall.read();
            nodes.get(w.node()).put(key, new Entry<>(Long.toString(version), now, now + 60_000_000_000L, 0, 0));
            acked.get(key).add(new Acked(version, System.nanoTime()));
            if (!realClock) { // each node must come to serve it (maxAge cannot help), then never go back
              for (int i = 0; i < 2; i++) {
                converge(nodes.get(i), i, key, version);
                known.get(i + key).set(version);
              }
            }
        } else if (op instanceof Read r) {
          check(nodes.get(r.node()), Integer.toString(r.node()), KEYS[r.key()], realClock, acked, known, violations);
        } else if (op instanceof Kill k) {
          for (long id : nodes.get(k.node()).trackingIds()) {
            admin.sync().clientKill(KillArgs.Builder.id(id));
          }
        } else if (op instanceof Pause p) {
          Thread.sleep(p.millis());
        }
      }
    } finally {
      running.set(false);
      for (Thread t : readers) {
        t.join(10_000);
      }
      nodes.forEach(NearCache::close);
      stores.forEach(RedisStore::close);
    }
    if (!violations.isEmpty()) {
      throw new AssertionError(violations.size() + " stale reads, first: " + violations.peek() + "; ops " + ops);
    }
  }

  /** Reads on {@code node} until it serves {@code version} or newer; fails after 10 s (a stale copy stuck in L1). */
  private static void converge(NearCache<String, String> node, int i, String key, long version)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long served = -1;
    while (System.nanoTime() < deadline) {
      try {
        Entry<String> e = node.get(key);
        served = e == null ? 0 : Long.parseLong(e.value());
        if (served >= version) {
          return;
        }
      } catch (StoreException reconnecting) {
        // Redis unreachable for this node for a moment: try again
      }
      Thread.sleep(1);
    }
    throw new AssertionError("node " + i + " still serves version " + served + " of " + key + " 10 s after version "
        + version + " was acknowledged, with L1's clock frozen: " + node.stats());
  }

  private static void check(NearCache<String, String> node, String id, String key, boolean realClock,
      ConcurrentHashMap<String, List<Acked>> acked, ConcurrentHashMap<String, AtomicLong> known,
      ConcurrentLinkedQueue<String> violations) {
    long mustSee = known.get(id + key).get();
    long start = System.nanoTime();
    List<Acked> before = List.copyOf(acked.get(key));
    Entry<String> e;
    try {
      e = node.get(key);
    } catch (StoreException busy) {
      return; // a read that fails serves nothing stale
    }
    long served = e == null ? 0 : Long.parseLong(e.value());
    if (!realClock && served < mustSee) {
      violations.add(node.stats() + " served version " + served + " of " + key + " after version " + mustSee
          + " was known there");
    }
    if (realClock) {
      for (Acked a : before) {
        if (a.version() > served && start - a.at() > MAX_AGE.toNanos()) {
          violations.add("served version " + served + " of " + key + " " + (start - a.at()) / 1_000_000
              + " ms after version " + a.version() + " was acknowledged (maxAge " + MAX_AGE.toMillis() + " ms)");
          return;
        }
      }
    }
  }
}
