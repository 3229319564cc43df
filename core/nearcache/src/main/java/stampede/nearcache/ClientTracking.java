package stampede.nearcache;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.push.RedisClusterPushListener;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import java.net.SocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import stampede.core.StoreException;

/**
 * The tracking side of {@link NearCache}: {@code CLIENT TRACKING on BCAST PREFIX <prefix>} on a RESP3 connection of
 * its own (Lettuce's default protocol on Redis 6+), named {@link NearCache#CLIENT_NAME}; on a cluster, one per master
 * (a node sends invalidations only for the keys it serves). It tells its {@link Listener} every key name invalidated,
 * when some connection stops tracking (a disconnect, a reconnect, a topology change: invalidations may have been lost
 * meanwhile) and when every connection tracks again (tracking enabled anew on the new connection, retried every
 * 50 ms until it is).
 */
final class ClientTracking implements AutoCloseable {
  /** What the near cache hears. */
  interface Listener {
    /** {@code name} was written, deleted or expired in Redis; null: every key (FLUSHALL, FLUSHDB). */
    void invalidated(String name);

    /** Some connection stopped tracking: invalidations may be lost from now on. */
    void lost();

    /** Every connection tracks again. */
    void resumed();
  }

  private static final String TOPOLOGY = "topology";
  private final AbstractRedisClient client;
  private final Listener listener;
  private final TrackingArgs args;
  private final Set<Object> tracked = ConcurrentHashMap.newKeySet(), untracked = ConcurrentHashMap.newKeySet();
  private final Map<String, StatefulRedisConnection<String, String>> masters = new ConcurrentHashMap<>();
  private final RedisConnectionStateListener states = new States();
  private StatefulConnection<String, String> connection;
  private StatefulRedisClusterConnection<String, String> cluster;
  private Disposable topology;
  private volatile boolean closed;

  /** Connects and tracks {@code prefix}; a {@link StoreException} if Redis cannot be reached. */
  ClientTracking(AbstractRedisClient client, String prefix, Listener listener) {
    this.client = client;
    this.listener = listener;
    this.args = TrackingArgs.Builder.enabled().bcast().prefixes(prefix);
    client.addListener(states);
    try {
      if (client instanceof RedisClusterClient cc) {
        cluster = cc.connect(NearCache.NAMES);
        connection = cluster;
        cluster.addListener((RedisClusterPushListener) (node, message) -> onPush(message));
        for (String id : masterIds()) {
          StatefulRedisConnection<String, String> node = cluster.getConnection(id);
          masters.put(id, node);
          tracked.add(node);
          enable(node);
        }
        topology = client.getResources().eventBus().get().filter(ClusterTopologyChangedEvent.class::isInstance)
            .subscribe(e -> onItsOwnThread(this::retopology));
      } else {
        StatefulRedisConnection<String, String> c = ((RedisClient) client).connect(NearCache.NAMES);
        connection = c;
        c.addListener((PushListener) this::onPush);
        tracked.add(c);
        enable(c);
      }
    } catch (RedisException e) {
      close();
      throw new StoreException("near cache: cannot enable CLIENT TRACKING (Redis >= 6, RESP3): " + e.getMessage(), e);
    }
  }

  private void enable(StatefulRedisConnection<String, String> c) {
    c.sync().clientSetname(NearCache.CLIENT_NAME);
    c.sync().clientTracking(args);
  }

  private void onPush(PushMessage message) {
    if ("invalidate".equals(message.getType())) {
      List<Object> content = message.getContent(NearCache.NAMES::decodeKey);
      if (content.size() > 1 && content.get(1) instanceof List<?> names) {
        names.forEach(name -> listener.invalidated(String.valueOf(name)));
      } else {
        listener.invalidated(null);
      }
    }
  }

  private synchronized void lost(Object c) {
    untracked.add(c);
    listener.lost();
  }

  private synchronized void tracking(Object c) {
    if (untracked.remove(c) && untracked.isEmpty() && !closed) {
      listener.resumed();
    }
  }

  private void retrack(StatefulRedisConnection<String, String> c) {
    if (closed || !c.isOpen() || !tracked.contains(c)) {
      return;
    }
    c.async().clientTracking(args).whenComplete((ok, failure) -> {
      if (failure == null) {
        tracking(c);
      } else if (!closed) { // not active yet, or gone again: try again shortly
        client.getResources().eventExecutorGroup().schedule(() -> retrack(c), 50, TimeUnit.MILLISECONDS);
      }
    });
  }

  /** The masters that serve slots now, by node id. */
  private Set<String> masterIds() {
    Set<String> ids = new HashSet<>();
    for (RedisClusterNode node : cluster.getPartitions()) {
      if (node.is(NodeFlag.UPSTREAM) && !node.is(NodeFlag.FAIL) && !node.is(NodeFlag.EVENTUAL_FAIL)
          && !node.getSlots().isEmpty()) {
        ids.add(node.getNodeId());
      }
    }
    return ids;
  }

  /** After a cluster topology change (a failover): lost, then track the masters that serve slots now. */
  private void retopology() {
    synchronized (masters) {
      lost(TOPOLOGY);
      Set<String> now = masterIds();
      masters.entrySet().removeIf(e -> {
        boolean gone = !now.contains(e.getKey());
        if (gone) {
          tracked.remove(e.getValue());
          untracked.remove(e.getValue());
        }
        return gone;
      });
      for (String id : now) {
        if (!masters.containsKey(id) && !closed) {
          try {
            StatefulRedisConnection<String, String> node = cluster.getConnection(id);
            masters.put(id, node);
            tracked.add(node);
            untracked.add(node);
            retrack(node);
          } catch (RedisException e) { // not reachable yet: stay lost, try again in a second
            client.getResources().eventExecutorGroup().schedule(() -> onItsOwnThread(this::retopology), 1,
                TimeUnit.SECONDS);
            return;
          }
        }
      }
      tracking(TOPOLOGY);
    }
  }

  private static void onItsOwnThread(Runnable task) { // connecting blocks: never on Lettuce's threads
    Thread t = new Thread(task, "stampede-nearcache-topology");
    t.setDaemon(true);
    t.start();
  }

  /** The CLIENT IDs of the open tracking connections (a test kills one to lose its invalidations). */
  @SuppressWarnings("unchecked")
  List<Long> ids() {
    List<Long> ids = new java.util.ArrayList<>();
    for (Object c : tracked) {
      if (c instanceof StatefulRedisConnection<?, ?> s && s.isOpen()) {
        try {
          ids.add(((StatefulRedisConnection<String, String>) s).sync().clientId());
        } catch (RedisException reconnecting) {
          // not connected now: no id to give
        }
      }
    }
    return ids;
  }

  /** Stops tracking: closes its connections (waiting at most 1 s); the client stays open. */
  @Override
  public void close() {
    closed = true;
    client.removeListener(states);
    if (topology != null) {
      topology.dispose();
    }
    if (connection != null) {
      try {
        connection.closeAsync().get(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // closing in the background: nothing more to do
      }
    }
    lost("closed");
  }

  /** A disconnect of a tracking connection is a loss; when it is back, tracking is enabled on it again. */
  private final class States implements RedisConnectionStateListener {
    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
      if (tracked.contains(c)) {
        lost(c);
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
      if (tracked.contains(c)) {
        lost(c); // invalidations were lost while it was away, even if no disconnect was seen
        retrack((StatefulRedisConnection<String, String>) c);
      }
    }
  }
}
