package stampede.core;

/**
 * The caller's own thread was interrupted (its request was cancelled) while it waited: for a load in flight, for a
 * lease, for a load slot, for the store, or inside its own loader. It says nothing about the store or the database,
 * so no protection counts it as their failure: a store guard does not open, a circuit breaker does not count it, a
 * lock does not fall back to loading, and the read path does not answer it with a stale value. The thread's interrupt
 * status is set when this is thrown, so the caller still sees its cancellation.
 *
 * <p>It carries no stack trace: cancellations are everyday events, and the {@link #getCause() cause} (an
 * {@link InterruptedException}, or the client library's own interrupt exception) says where it happened.
 */
public class InterruptedLoadException extends LoadException {

  /**
   * @param key   the key being read or loaded
   * @param where what the thread was doing, e.g. "while waiting for the load in flight"
   * @param cause the interrupt as the blocking call reported it
   */
  public InterruptedLoadException(Object key, String where, @Nullable Throwable cause) {
    super(key, "interrupted " + where, cause, false);
  }

  /**
   * Sets the current thread's interrupt status again and returns the exception to throw: {@code throw
   * InterruptedLoadException.of(key, "while ...", e);}.
   */
  public static InterruptedLoadException of(Object key, String where, @Nullable Throwable cause) {
    Thread.currentThread().interrupt();
    return new InterruptedLoadException(key, where, cause);
  }

  /**
   * True if {@code failure} is the current caller's cancellation rather than a fault of the store or the database:
   * an {@code InterruptedLoadException}, an {@link InterruptedException} anywhere in its causes, or any failure
   * while the current thread's interrupt status is set (a loader may turn an interrupt into its own exception).
   */
  public static boolean isInterrupt(@Nullable Throwable failure) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InterruptedLoadException || t instanceof InterruptedException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
