package stampede.core;

/**
 * A protection refused to load: over a rate limit ("too many requests"), over the load-shedding bound, or the
 * circuit is open. Nothing was loaded and nothing was cached; the caller may retry later.
 */
public class RejectedException extends RuntimeException {
  private final transient Object key;
  private final String reason;

  public RejectedException(Object key, String reason) {
    super("rejected load of key '" + key + "': " + reason);
    this.key = key;
    this.reason = reason;
  }

  public Object key() {
    return key;
  }

  /** A short, stable reason, e.g. "too many requests", "load shed", "circuit open". */
  public String reason() {
    return reason;
  }
}
