package stampede.core;

/** What a strategy reports through {@link Metrics}. */
public enum Event {
  /** A fresh value was returned from the store. */
  HIT,
  /** No usable fresh value: the caller goes down the miss path. */
  MISS,
  /** The loader was called (one per actual load: the number stampede prevention minimises). */
  LOAD_STARTED,
  /** The loader threw, returned null, or timed out. */
  LOAD_FAILED,
  /** A caller waited for a load already in flight instead of starting its own. */
  LOAD_COALESCED,
  /** A stale value was served (stale-while-revalidate, stale-if-error, an open circuit). */
  STALE_SERVED,
  /** A background refresh was started. */
  REFRESH_STARTED,
  /** A background refresh failed; the old value is kept. */
  REFRESH_FAILED,
  /** A protection (rate limit, load shedding, open circuit) refused the load. */
  REJECTED,
  /** The store failed or returned a corrupt entry; read as a miss or a skipped write. */
  STORE_ERROR,
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
