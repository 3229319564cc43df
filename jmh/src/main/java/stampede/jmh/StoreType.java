package stampede.jmh;

/** Where entries live: Caffeine in this JVM, or a real redis-server started by the benchmark. */
public enum StoreType {
  CAFFEINE,
  REDIS
}
