package stampede.spring;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;
import stampede.redis.ValueCodec;

/**
 * Values of any {@link java.io.Serializable} type on Redis, by Java serialization: what Spring's own
 * {@code RedisCacheManager} uses by default ({@code JdkSerializationRedisSerializer}), and what carries Spring's
 * {@code NullValue} marker (it resolves back to its singleton). A value that cannot be serialized is refused by
 * {@link #encode} ({@link IllegalArgumentException}), so the store writes nothing.
 *
 * <p><b>Security.</b> Whoever can write to the Redis can make every node deserialize classes of their choosing. Give
 * a filter ({@link ObjectInputFilter.Config#createFilter}, e.g.
 * {@code "com.example.model.**;java.lang.*;java.util.*;org.springframework.cache.support.NullValue;!*"}), or a
 * codec of your own (JSON) for values read across a trust boundary. Without one, the JVM-wide filter applies
 * ({@code jdk.serialFilter}).
 */
public final class JavaSerializationCodec implements ValueCodec<Object> {
  private final @Nullable ClassLoader classLoader;
  private final @Nullable ObjectInputFilter filter;

  /**
   * @param classLoader the loader of the values' classes (the application's), or null for the default resolution
   * @param filter      what may be deserialized, or null for the JVM-wide filter
   */
  public JavaSerializationCodec(@Nullable ClassLoader classLoader, @Nullable ObjectInputFilter filter) {
    this.classLoader = classLoader;
    this.filter = filter;
  }

  @Override
  public byte[] encode(Object value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot serialize a " + value.getClass().getName() + ": " + e, e);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object decode(byte[] bytes) throws IOException, ClassNotFoundException {
    return decode(bytes, 0, bytes.length);
  }

  @Override
  public Object decode(byte[] bytes, int offset, int length) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new Input(new ByteArrayInputStream(bytes, offset, length), classLoader)) {
      if (filter != null) {
        in.setObjectInputFilter(filter);
      }
      Object value = in.readObject();
      if (in.read() != -1) {
        throw new InvalidClassException("trailing bytes after the serialized value");
      }
      return value;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Resolves classes with the given loader first. */
  private static final class Input extends ObjectInputStream {
    private final @Nullable ClassLoader loader;

    Input(InputStream in, @Nullable ClassLoader loader) throws IOException {
      super(in);
      this.loader = loader;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      if (loader != null) {
        try {
          return Class.forName(desc.getName(), false, loader);
        } catch (ClassNotFoundException e) {
          // a primitive type or a JDK class the loader does not see: the default resolution below
        }
      }
      return super.resolveClass(desc);
    }
  }
}
