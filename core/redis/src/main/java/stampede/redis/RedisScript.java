package stampede.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Lua script run by {@code EVALSHA}: its SHA-1 is computed here once, the script is sent to the server by one
 * {@code SCRIPT LOAD} ({@link #load}, on every master of a cluster) and never again on the hot path. A server that
 * answers {@code NOSCRIPT} (restarted, failed over to a replica, {@code SCRIPT FLUSH}ed) gets the full text once by
 * {@code EVAL}, which runs it and caches it there, and {@code EVALSHA} works again from the next call on.
 *
 * <p>Every script's keys share one hash tag ({@link RedisKeys}), so on a cluster the call is routed by its first key
 * and never crosses slots. See redis.io, "Scripting with Lua" ({@code EVALSHA}, script cache).
 */
final class RedisScript {
  /** The SHA-1s of the scripts Lettuce must not replay after a reconnect ({@link #notReplayed}). */
  private static final Set<String> NOT_REPLAYED = ConcurrentHashMap.newKeySet();
  private final String text;
  private final String sha;

  RedisScript(String... lines) {
    this.text = String.join("\n", lines);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      this.sha = HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-1 in this JVM", e);
    }
  }

  /** Sends the script to the server's cache; best effort (a later {@code NOSCRIPT} loads it again). */
  void load(RedisClusterCommands<String, byte[]> redis) {
    try {
      redis.scriptLoad(text);
    } catch (RedisException ignored) {
      // not reachable now: the first call's NOSCRIPT will load it
    }
  }

  /** Runs the script; {@code NOSCRIPT} is answered with one {@code EVAL} of the text. */
  // TypeParameterUnusedInFormals: the same signature as Lettuce's own evalsha and eval, whose output type decides T
  @SuppressWarnings("TypeParameterUnusedInFormals")
  <T> T run(RedisClusterCommands<String, byte[]> redis, ScriptOutputType type, String[] keys, byte[]... args) {
    try {
      return redis.evalsha(sha, type, keys, args);
    } catch (RedisNoScriptException e) {
      return redis.eval(text, type, keys, args);
    }
  }

  /** {@link #run}, asynchronously. */
  <T> CompletionStage<T> runAsync(RedisClusterAsyncCommands<String, byte[]> redis, ScriptOutputType type,
      String[] keys, byte[]... args) {
    RedisFuture<T> first = redis.evalsha(sha, type, keys, args);
    return first.handle((value, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(value);
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (cause instanceof RedisNoScriptException) {
        RedisFuture<T> again = redis.eval(text, type, keys, args);
        return again.toCompletableFuture();
      }
      return CompletableFuture.<T>failedFuture(cause);
    }).thenCompose(f -> f);
  }

  String sha() {
    return sha;
  }

  /**
   * Marks this script as one a reconnect must not replay (a lease's acquire): the clients of {@link RedisClients}
   * drop it instead. The mark lives here, not in {@link RedisClients}, so the store's files need no lock's file.
   */
  RedisScript notReplayed() {
    NOT_REPLAYED.add(sha);
    return this;
  }

  /** Whether {@code sha} is the SHA-1 of a script marked {@link #notReplayed}. */
  static boolean isNotReplayed(String sha) {
    return sha != null && NOT_REPLAYED.contains(sha);
  }
}
