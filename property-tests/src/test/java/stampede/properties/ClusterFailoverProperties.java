package stampede.properties;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.testkit.EmbeddedRedisCluster;

/**
 * The distributed lock through a master failover on a real Redis Cluster (3 masters, 1 replica each, of this class's
 * own): node A holds the lease of a key and is loading it when the master that holds the key is killed; its replica
 * takes over, and node B asks for the key. Replication is asynchronous, so the lease may be lost:
 * <ul>
 *   <li>lost (it had not reached the replica, modelled by deleting the lease and the fencing counter on the new
 *       master): B takes the lease with a higher token (the counter is gone too, the token is floored at Redis TIME)
 *       and loads: one extra load, at most. A's late write is refused by the fence, so B's newer value stays;</li>
 *   <li>kept (it had reached the replica, checked there before the kill, and the lease outlasts the failover): B
 *       waits, and gets A's value; one load.</li>
 * </ul>
 * A's load ends once A's client has found the new master, so that its write reaches it and the fence decides. (Had
 * it ended earlier, its write would fail and store nothing: B, woken, would load once more, still one extra load.)
 * Nothing hangs: every call ends within the lock's {@link DistributedLock#longestWait()} (a call during the failover
 * fails fast with the documented {@code fallback FAIL} error, and the caller retries). Tries per property: 2, or
 * {@code -Dstampede.failover.tries=N}. Each try kills a master, waits for the failover, and restarts the node.
 */
@AddLifecycleHook(value = ClusterFailoverProperties.Tries.class, propagateTo = PropagationMode.DIRECT_DESCENDANTS)
class ClusterFailoverProperties {
  private static final Duration TTL = Duration.ofMinutes(1);
  private static final Duration MAX_WAIT = Duration.ofSeconds(10);
  private static final Duration RECOVERY = Duration.ofSeconds(30);
  private static final AtomicInteger TRY = new AtomicInteger();

  private static EmbeddedRedisCluster cluster;

  @BeforeContainer
  static void startCluster() {
    cluster = EmbeddedRedisCluster.start();
  }

  @AfterContainer
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Property(tries = 2, shrinking = ShrinkingMode.OFF) // each shrinking step would be another failover
  void aLostLeaseCostsAtMostOneExtraLoadAndTheNewerValueStays(@ForAll @IntRange(min = 0, max = 9999) int key,
      @ForAll @IntRange(min = 0, max = 50) int loadMillisB, @ForAll long seed) throws Exception {
    run("k" + key, false, loadMillisB, seed);
  }

  @Property(tries = 2, shrinking = ShrinkingMode.OFF)
  void aReplicatedLeaseCostsNoExtraLoad(@ForAll @IntRange(min = 0, max = 9999) int key, @ForAll long seed)
      throws Exception {
    run("k" + key, true, 0, seed);
  }

  private void run(String key, boolean leaseKept, int loadMillisB, long seed) throws Exception {
    int attempt = TRY.incrementAndGet();
    String prefix = "failover-" + attempt + ":";
    // A kept lease must outlast the failover and the clients' recovery (a few seconds): a shorter one is lost even
    // when it was replicated, and that is the other property.
    Duration lease = leaseKept ? Duration.ofSeconds(20) : Duration.ofSeconds(2);
    Random random = new Random(seed);
    CountDownLatch aLoading = new CountDownLatch(1);
    CountDownLatch finishA = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    Loader<String, String> loaderA = k -> {
      loads.incrementAndGet();
      aLoading.countDown();
      if (!finishA.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("A's load was never let finish");
      }
      return "loaded by A";
    };
    Loader<String, String> loaderB = k -> {
      loads.incrementAndGet();
      Thread.sleep(loadMillisB);
      return "loaded by B";
    };
    String context = (leaseKept ? "replicated" : "lost") + " lease, key '" + key + "'";
    try (Node a = new Node(prefix, lease, random); Node b = new Node(prefix, lease, random)) {
      CompletableFuture<String> callA = CompletableFuture.supplyAsync(() -> a.path.get(key, loaderA));
      check(aLoading.await(30, TimeUnit.SECONDS), context + ": A never started loading: " + a.counters);
      String entryName = a.keys.entry(key);
      int master = cluster.masterPortOf(entryName);
      if (leaseKept) {
        awaitOnReplica(cluster.replicaPortOf(entryName), a.keys.lock(key), context); // replication is asynchronous
      }
      cluster.kill(master);
      try {
        cluster.awaitHealthy(RECOVERY);
        if (!leaseKept) {
          try (StatefulRedisClusterConnection<String, String> admin = b.client.connect()) {
            retry(() -> admin.sync().del(a.keys.lock(key), a.keys.fence(key)), context);
          }
        }
        CompletableFuture<String> callB = CompletableFuture.supplyAsync(() -> getWithRetries(b, key, loaderB,
            context));
        if (leaseKept) {
          check(b.waited.await(RECOVERY.toSeconds(), TimeUnit.SECONDS), context + ": B never waited for the lease: "
              + b.counters);
          caughtUp(a, key, context);
          finishA.countDown();
          String valueB = callB.get(a.lock.longestWait().toSeconds() + 10, TimeUnit.SECONDS);
          String valueA = callA.get(30, TimeUnit.SECONDS);
          check(loads.get() == 1, context + ": " + loads.get() + " loads, expected 1 (" + a.counters + "; "
              + b.counters + ")");
          check(valueA.equals("loaded by A") && valueB.equals(valueA), context + ": A got '" + valueA + "', B '"
              + valueB + "'");
          check(storedValue(b, key).equals(valueA), context + ": stored '" + storedValue(b, key) + "'");
        } else {
          String valueB = callB.get(RECOVERY.toSeconds() + b.lock.longestWait().toSeconds(), TimeUnit.SECONDS);
          caughtUp(a, key, context);
          finishA.countDown();
          String valueA = callA.get(30, TimeUnit.SECONDS);
          check(loads.get() == 2, context + ": " + loads.get() + " loads, expected 2: A's and one extra by B ("
              + a.counters + "; " + b.counters + ")");
          check(valueB.equals("loaded by B") && valueA.equals("loaded by A"), context + ": A got '" + valueA
              + "', B '" + valueB + "'");
          check(storedValue(b, key).equals("loaded by B"), context + ": the older load replaced the newer value: "
              + "stored '" + storedValue(b, key) + "' (" + a.counters + ")");
          check(a.counters.get(Event.FENCED_WRITE) == 1, context + ": A's late write was not refused by the fence ("
              + a.counters + ")");
        }
        System.out.printf("cluster failover try %d: %s, %d load(s), passed%n", attempt, context, loads.get());
      } finally {
        finishA.countDown();
        cluster.restart(master);
      }
    }
  }

  /**
   * Waits until the replica on {@code port} holds {@code name} (read with {@code READONLY}): the case where the lease
   * reached the replica before the master died. Under load the replica may lag, and then the lease is lost.
   */
  private static void awaitOnReplica(int port, String name, String context) throws InterruptedException {
    check(port > 0, context + ": no replica of the key's master");
    RedisClient admin = RedisClient.create(RedisURI.create("127.0.0.1", port));
    try (StatefulRedisConnection<String, String> replica = admin.connect()) {
      replica.sync().readOnly();
      long deadline = System.nanoTime() + RECOVERY.toNanos();
      while (replica.sync().get(name) == null) {
        check(System.nanoTime() - deadline < 0, context + ": the lease never reached the replica");
        Thread.sleep(10); // replication has no event to wait on from here
      }
    } finally {
      admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  /** A caller that retries a call that failed with the documented error while the lock service was failing over. */
  private static String getWithRetries(Node node, String key, Loader<String, String> loader, String context) {
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    while (true) {
      long start = System.nanoTime();
      try {
        return node.path.get(key, loader);
      } catch (LoadException e) {
        long took = System.nanoTime() - start;
        check(took < node.lock.longestWait().plusSeconds(5).toNanos(), context + ": a call took " + took / 1_000_000
            + " ms, past the lock's bound");
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError(context + ": no value within " + RECOVERY + " of the failover", e);
        }
        sleep(50); // a caller's retry after the documented error
      }
    }
  }

  /**
   * Waits until A's client reaches the key's new master, so that A's late write does reach it and the fence (not a
   * connection error) decides. A write that fails instead writes nothing, which the fence rule allows as well.
   */
  private static void caughtUp(Node node, String key, String context) throws InterruptedException {
    retry(() -> node.store.get(key), context + ": A's client finding the new master");
  }

  private static String storedValue(Node node, String key) throws InterruptedException {
    Entry<String> e = retry(() -> node.store.get(key), "reading the stored value");
    return e == null ? "(nothing)" : e.value();
  }

  private static <T> T retry(java.util.function.Supplier<T> call, String context) throws InterruptedException {
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    while (true) {
      try {
        return call.get();
      } catch (StoreException | io.lettuce.core.RedisException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError(context + ": Redis not back within " + RECOVERY, e);
        }
        Thread.sleep(50); // a caller's retry: no event says "this slot is served again"
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  /** One application node: its own cluster client, store, locks, and read path CacheAside over DistributedLock. */
  private static final class Node implements AutoCloseable {
    final RedisClusterClient client = RedisStore.clusterClient(cluster.uris(), Duration.ofSeconds(1));
    final RedisKeys<String> keys;
    final RedisStore<String, String> store;
    final RedisLocks<String> locks;
    final Counters counters = new Counters();
    final CountDownLatch waited = new CountDownLatch(1);
    final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
    final DistributedLock<String, String> lock;
    final CacheAside<String, String> path;

    Node(String prefix, Duration lease, Random random) {
      keys = RedisKeys.strings(prefix);
      store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(Ticker.wall()).build();
      locks = new RedisLocks<>(client, keys);
      Metrics metrics = new Metrics() {
        @Override
        public void record(Event event, Object key) {
          counters.record(event, key);
          if (event == Event.LOCK_WAITED) {
            waited.countDown();
          }
        }
      };
      lock = DistributedLock.builder(store, locks, new StoreFill<>(store, metrics, Ttl.fixed(TTL))).metrics(metrics)
          .tokens(new Random(random.nextLong())).watchdog(watchdog).lease(lease).maxWait(MAX_WAIT)
          .fallback(DistributedLock.Fallback.FAIL).build();
      path = CacheAside.builder(store, lock).metrics(metrics).build();
    }

    @Override
    public void close() {
      watchdog.shutdownNow();
      locks.close();
      store.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  /** Sets the tries of every property here from {@code -Dstampede.failover.tries}, if given. */
  static final class Tries implements AroundPropertyHook {
    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
      Integer tries = Integer.getInteger("stampede.failover.tries");
      if (tries != null) {
        context.attributes().setTries(tries);
      }
      return property.execute();
    }
  }
}
