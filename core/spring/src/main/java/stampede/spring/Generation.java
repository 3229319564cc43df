package stampede.spring;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A cache's generation: part of every key it hands its store ({@link CacheKey}), moved on by
 * {@link StampedeCache#clear()}. Clearing costs one increment whatever the number of entries: no {@code KEYS}, no
 * {@code SCAN}, no {@code FLUSHDB}. The entries of older generations are never read again and go away by their own
 * expiry (on Redis, the {@code PX} of every entry: its TTL plus the store's retention; in process, Caffeine's
 * expiry and size bound).
 */
public interface Generation {

  /** The generation reads and writes use now. */
  long current();

  /** Moves to the next generation and returns it; from then on, this process reads and writes under it. */
  long next();

  /** A generation held in this process only: for an in-process store, whose entries no other process sees. */
  static Generation local() {
    AtomicLong generation = new AtomicLong();
    return new Generation() {
      @Override
      public long current() {
        return generation.get();
      }

      @Override
      public long next() {
        return generation.incrementAndGet();
      }
    };
  }
}
