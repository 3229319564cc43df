package stampede.examples;

import java.io.IOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * How a copier's own tests get a real redis-server without Docker: the binaries shipped in the embedded-redis jar
 * ({@code com.github.codemonstur:embedded-redis:1.4.3}, test scope; linux and macOS, amd64 and arm64). This is what
 * the project's test kit ({@code stampede.testkit.EmbeddedRedis}) does, without the kit.
 */
public final class RedisForTestsExample {
  private RedisForTestsExample() { }

  /** Starts a server on a free loopback port and returns it, running; stop it when done. */
  static RedisServer start() throws IOException {
    // docs:begin redis-for-tests
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    RedisServer server = RedisServer.newRedisServer()  // com.github.codemonstur:embedded-redis, test scope
        .bind("127.0.0.1")
        .port(port)
        .setting("save \"\"")                         // nothing on disk
        .setting("appendonly no")
        .onShutdownForceStop(true)                    // stop() kills it at once
        .build();
    server.start();                                   // server.stop() in your test's @AfterAll
    System.setProperty("redis.uri", "redis://127.0.0.1:" + port); // where the Redis example connects
    // docs:end redis-for-tests
    return server;
  }
}
