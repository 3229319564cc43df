package stampede.core;

/**
 * The load of a key failed: the loader threw (the cause), returned null, or a waiter stopped waiting for a
 * load in flight. Every coalesced waiter receives it; nothing is cached.
 *
 * <p>One thrown where a load failed carries a stack trace. One thrown to a caller that did not load (a waiter that
 * gave up, a lock fallback, a holder's failure passed on) is built without one: it is thrown on every call exactly
 * when the service is overloaded, and the loader's own trace, if any, is in the cause.
 */
public class LoadException extends RuntimeException {
  private final transient Object key;

  public LoadException(Object key, String message, @Nullable Throwable cause) {
    super("load of key '" + key + "' failed: " + message, cause);
    this.key = key;
  }

  /**
   * @param stackTrace false for an error thrown to a caller that did not load: no stack trace is filled in (as
   *                   {@link RejectedException})
   */
  public LoadException(Object key, String message, @Nullable Throwable cause, boolean stackTrace) {
    super("load of key '" + key + "' failed: " + message, cause, true, stackTrace);
    this.key = key;
  }

  public LoadException(Object key, @Nullable Throwable cause) {
    this(key, String.valueOf(cause), cause);
  }

  public Object key() {
    return key;
  }

  /**
   * Wraps what a loader threw: a {@code LoadException} or {@link RejectedException} passes through unchanged,
   * an {@link Error} is rethrown as is, an {@link InterruptedException} becomes an
   * {@link InterruptedLoadException} (the interrupt status set again), anything else becomes the cause of a new
   * {@code LoadException}.
   */
  public static RuntimeException wrap(Object key, @Nullable Throwable t) {
    if (t instanceof LoadException || t instanceof RejectedException) {
      return (RuntimeException) t;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t instanceof InterruptedException) {
      return InterruptedLoadException.of(key, "inside the loader", t);
    }
    return new LoadException(key, t);
  }
}
