package stampede.core;

/**
 * The load of a key failed: the loader threw (the cause), returned null, or a waiter stopped waiting for a
 * load in flight. Every coalesced waiter receives it; nothing is cached.
 */
public class LoadException extends RuntimeException {
  private final transient Object key;

  public LoadException(Object key, String message, Throwable cause) {
    super("load of key '" + key + "' failed: " + message, cause);
    this.key = key;
  }

  public LoadException(Object key, Throwable cause) {
    this(key, String.valueOf(cause), cause);
  }

  public Object key() {
    return key;
  }

  /**
   * Wraps what a loader threw: a {@code LoadException} or {@link RejectedException} passes through unchanged,
   * an {@link Error} is rethrown as is, anything else becomes the cause of a new {@code LoadException}.
   */
  public static RuntimeException wrap(Object key, Throwable t) {
    if (t instanceof LoadException || t instanceof RejectedException) {
      return (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new LoadException(key, t);
  }
}
