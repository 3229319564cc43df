package stampede.core;

/** What the store holds under a key cannot be decoded as an {@link Entry}: it is never returned as a value. */
public class CorruptEntryException extends StoreException {
  public CorruptEntryException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
