package stampede.core;

/** The cache store could not be reached or did not answer in time. */
public class StoreException extends RuntimeException {
  public StoreException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
