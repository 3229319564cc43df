package stampede.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real redis-server for tests and benchmarks, no Docker: a {@code redis-server} found on PATH, else the
 * linux/macOS binary shipped inside the embedded-redis jar. It listens on 127.0.0.1 at a free port, keeps
 * nothing on disk, and is stopped by {@link #close()} (and by a shutdown hook, so no process outlives the
 * JVM). {@link #stop()} / {@link #start()} simulate an outage on the same port.
 */
public final class EmbeddedRedis implements AutoCloseable {
  private final int port;
  private final RedisServer server;
  private final Thread hook;

  private EmbeddedRedis(int port, String... settings) throws IOException {
    this.port = port;
    var builder = RedisServer.newRedisServer()
        .executableProvider(executable())
        .bind("127.0.0.1")
        .port(port)
        .setting("save \"\"")
        .setting("appendonly no")
        .setting("maxmemory 256mb");
    for (String setting : settings) {
      builder.setting(setting);
    }
    this.server = builder.onShutdownForceStop(true).build();
    this.hook = new Thread(this::stopQuietly, "embedded-redis-stop-" + port);
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Starts a server on a free port. */
  public static EmbeddedRedis start() {
    return start(0);
  }

  /** Starts a server on {@code port} (0: a free one) with extra {@code redis.conf} lines. */
  static EmbeddedRedis start(int port, String... settings) {
    try {
      EmbeddedRedis redis = new EmbeddedRedis(port == 0 ? freePort() : port, settings);
      redis.server.start();
      return redis;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server", e);
    }
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public boolean isRunning() {
    return server.isActive();
  }

  /** Stops the server (an outage); {@link #restart()} brings it back on the same port, empty. */
  public void stop() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void restart() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running already
    }
  }

  private void stopQuietly() {
    try {
      if (server.isActive()) {
        server.stop();
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort at shutdown
    }
  }

  private static ExecutableProvider executable() throws IOException {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path candidate = Path.of(dir, "redis-server");
        if (Files.isExecutable(candidate)) {
          return candidate::toFile;
        }
      }
    }
    return ExecutableProvider.newJarResourceProvider();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
