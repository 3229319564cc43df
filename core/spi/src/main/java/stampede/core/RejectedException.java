package stampede.core;

/**
 * A protection refused to load: over a rate limit ("too many requests"), over the load-shedding bound, or the
 * circuit is open. Nothing was loaded and nothing was cached; the caller may retry later.
 *
 * <p>It carries no stack trace: it is thrown on every refused call, exactly when the service is overloaded, and
 * its {@link #reason()} says all there is to say.
 */
public class RejectedException extends RuntimeException {
  private final transient Object key;
  private final String reason;

  /** @param reason a short, stable reason, e.g. "too many requests", "load shed", "circuit open" */
  public RejectedException(Object key, String reason) {
    super("rejected load of key '" + key + "': " + reason, null, false, false);
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
