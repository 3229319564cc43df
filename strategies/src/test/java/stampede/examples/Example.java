package stampede.examples;

import stampede.core.LoadingStrategy;

/**
 * What an example built, for {@link ExamplesTest}: the cache its snippet ends with, the database behind it, and what
 * to close afterwards (executors, Redis clients).
 */
public record Example(LoadingStrategy<String, Product> products, ProductDatabase database, AutoCloseable resources)
    implements AutoCloseable {
  @Override
  public void close() throws Exception {
    resources.close();
  }
}
