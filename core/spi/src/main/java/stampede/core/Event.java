package stampede.core;

/** What a strategy reports through {@link Metrics}. */
public enum Event {
  /** A fresh value was returned from the store. */
  HIT,
  /** No usable fresh value: the caller goes down the miss path. */
  MISS,
  /** The loader was called (one per actual load: the number stampede prevention minimises). */
  LOAD_STARTED,
  /** The loader returned a value; recorded with the load's duration ({@link Metrics#record(Event, Object, long)}). */
  LOAD_SUCCEEDED,
  /** The loader threw or returned null; recorded with the load's duration. */
  LOAD_FAILED,
  /** A caller waited for a load already in flight instead of starting its own. */
  LOAD_COALESCED,
  /** A caller stopped waiting for a load in flight (its bound passed) and got an error; the load goes on. */
  WAIT_TIMED_OUT,
  /** A stale value was served (stale-while-revalidate, stale-if-error). */
  STALE_SERVED,
  /** A background refresh was started. */
  REFRESH_STARTED,
  /** A background refresh failed; the old value is kept. */
  REFRESH_FAILED,
  /** The executor refused a background refresh; the next read tries again. */
  REFRESH_REJECTED,
  /** A per-client rate limit refused a load ("too many requests"). */
  RATE_LIMITED,
  /** Load shedding refused a load: too many loads already running ("load shed"). */
  LOAD_SHED,
  /** An open circuit breaker refused a load ("circuit open"). */
  CIRCUIT_OPEN,
  /** The store failed or returned a corrupt entry; read as a miss or a skipped write. */
  STORE_ERROR,
  /** A loaded entry was written to the store ({@link CacheStore#putQuietly}). */
  ENTRY_WRITTEN,
  /** The store refused a write because a newer fence had written meanwhile. */
  FENCED_WRITE,
  /** A distributed lock was acquired for a load. */
  LOCK_ACQUIRED,
  /** A caller waited for another holder of the distributed lock. */
  LOCK_WAITED,
  /** The lock could not be had in time (or the lock service failed): the documented fallback ran. */
  LOCK_FALLBACK,
  /** A key was detected as hot. */
  HOT_KEY,
  /** Many misses hit one key within a short window. */
  MISS_STORM
}
