package stampede.jmh.impl;

import java.util.Objects;
import stampede.core.CacheStore;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.jmh.BenchCache;

/**
 * A strategy of this project as a {@link BenchCache}: reads go through the {@link LoadingStrategy} with the
 * benchmark's loader, and {@link #invalidate} drops the entry from the strategy's store.
 */
public final class StrategyCache implements BenchCache {
  private final LoadingStrategy<String, String> strategy;
  private final Loader<String, String> loader;
  private final CacheStore<String, String> store;

  public StrategyCache(LoadingStrategy<String, String> strategy, Loader<String, String> loader,
      CacheStore<String, String> store) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public String get(String key) {
    return strategy.get(key, loader);
  }

  @Override
  public void invalidate(String key) {
    store.invalidate(key);
  }
}
