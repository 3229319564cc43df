package stampede.core;

import java.util.Objects;

/**
 * A cached value and what the strategies need to know about it.
 *
 * @param value      the value, never null
 * @param writeTime  ticker time the value was written
 * @param expireTime ticker time after which the value is stale (not fresh). A store keeps a stale entry a
 *                   little longer (its retention) so stale-while-revalidate can still serve it
 * @param loadNanos  how long the load that produced it took: XFetch's {@code delta}
 * @param fence      the fencing token of the lock under which it was written, or 0
 */
public record Entry<V>(V value, long writeTime, long expireTime, long loadNanos, long fence) {

  public Entry {
    Objects.requireNonNull(value, "value");
    if (expireTime < writeTime) {
      throw new IllegalArgumentException("expireTime " + expireTime + " before writeTime " + writeTime);
    }
    if (loadNanos < 0) {
      throw new IllegalArgumentException("loadNanos < 0: " + loadNanos);
    }
    if (fence < 0) {
      throw new IllegalArgumentException("fence < 0: " + fence);
    }
  }

  /** True while {@code now} is before {@link #expireTime()}. */
  public boolean isFresh(long now) {
    return now < expireTime;
  }

  /** Nanoseconds since the entry went stale (0 while fresh). */
  public long staleFor(long now) {
    return Math.max(0, now - expireTime);
  }

  /**
   * True if this entry is not the one a caller saw ({@code seen} null, or a different write). A fill's
   * double-check uses it: a fresh entry that supersedes {@code seen} was written by someone else meanwhile. Values
   * are compared deeply, so an entry re-read from a store that decodes a fresh array each time is still the same.
   */
  public boolean supersedes(@Nullable Entry<?> seen) {
    return seen == null || writeTime != seen.writeTime || expireTime != seen.expireTime
        || loadNanos != seen.loadNanos || fence != seen.fence || !Objects.deepEquals(value, seen.value);
  }
}
