package stampede.spring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.interceptor.SimpleKey;
import stampede.redis.RedisKeys;

/**
 * An injective string encoding of Spring cache keys for {@link RedisKeys}: two keys that are not {@code equals}
 * never encode alike, and equal keys always do. {@code toString()} is never used: {@code SimpleKey(1, "2")} and
 * {@code SimpleKey("1", 2)} print alike, and so do {@code 1} and {@code 1L}.
 *
 * <p>Every value is written as a type tag followed by a self-delimiting body, so the encoding is a prefix-free code
 * and a sequence of encodings (the elements of a composite key) decodes one way only:
 *
 * <pre>
 *   null                    n
 *   String                  s&lt;length&gt;:&lt;chars&gt;
 *   Long Integer Short Byte  l i h b  &lt;decimal&gt;;
 *   BigInteger              I&lt;decimal&gt;;
 *   BigDecimal              D&lt;unscaled decimal&gt;;&lt;scale&gt;;     (equals compares the scale: 1.0 is not 1.00)
 *   Double Float            d f  &lt;hex of doubleToLongBits / floatToIntBits&gt;;   (as equals compares them)
 *   Boolean                 T or F
 *   Character               c&lt;the char&gt;
 *   UUID                    u&lt;36 chars&gt;
 *   Enum                    e&lt;class name as a String&gt;&lt;constant name as a String&gt;
 *   SimpleKey               k&lt;count&gt;:&lt;each parameter&gt;
 *   List (any)              L&lt;count&gt;:&lt;each element&gt;            (List.equals ignores the implementation)
 *   Object[] (any class)    A&lt;count&gt;:&lt;each element&gt;           (by content, as SimpleKey compares them)
 *   primitive array         P&lt;component type as a String&gt;&lt;count&gt;:&lt;each element&gt;
 *   record                  r&lt;class name as a String&gt;&lt;count&gt;:&lt;each component&gt;
 * </pre>
 *
 * Any other type is refused with an {@link IllegalArgumentException} naming it: its {@code equals} is unknown, so
 * no encoding can be trusted to be injective. Use a record, a string or a number as the key (SpEL:
 * {@code key = "#book.isbn"}), or give the cache an encoding of your own. An array is encoded by content although
 * arrays compare by identity: as a parameter of a {@code SimpleKey} it is compared by content.
 */
public final class SpringKeys {
  private static final VarHandle SIMPLE_KEY_PARAMS = simpleKeyParams();

  private SpringKeys() {
  }

  /** The encoding of {@code key}, by the table above. */
  public static String encode(Object key) {
    StringBuilder out = new StringBuilder(32);
    append(out, key, 0);
    return out.toString();
  }

  /** Keys of one cache, named under {@code prefix} in generation order: {@code <generation>:<encoding>}. */
  public static RedisKeys<CacheKey> redisKeys(String prefix) {
    return RedisKeys.of(prefix, k -> k.generation() + ":" + encode(k.key()));
  }

  private static void append(StringBuilder out, @Nullable Object key, int depth) {
    if (depth > 32) {
      throw new IllegalArgumentException("cache key nested more than 32 levels deep");
    }
    if (key == null) {
      out.append('n');
    } else if (key instanceof String s) {
      string(out, s);
    } else if (key instanceof Long || key instanceof Integer || key instanceof Short || key instanceof Byte) {
      char tag = key instanceof Long ? 'l' : key instanceof Integer ? 'i' : key instanceof Short ? 'h' : 'b';
      out.append(tag).append(key).append(';');
    } else if (key instanceof BigInteger n) {
      out.append('I').append(n).append(';');
    } else if (key instanceof BigDecimal d) {
      out.append('D').append(d.unscaledValue()).append(';').append(d.scale()).append(';');
    } else if (key instanceof Double d) {
      out.append('d').append(Long.toHexString(Double.doubleToLongBits(d))).append(';');
    } else if (key instanceof Float f) {
      out.append('f').append(Integer.toHexString(Float.floatToIntBits(f))).append(';');
    } else if (key instanceof Boolean b) {
      out.append(b ? 'T' : 'F');
    } else if (key instanceof Character c) {
      out.append('c').append(c.charValue());
    } else if (key instanceof UUID u) {
      out.append('u').append(u);
    } else if (key instanceof Enum<?> e) {
      out.append('e');
      string(out, e.getDeclaringClass().getName());
      string(out, e.name());
    } else if (key instanceof SimpleKey k) {
      sequence(out, 'k', (Object[]) SIMPLE_KEY_PARAMS.get(k), depth);
    } else if (key instanceof List<?> list) {
      out.append('L').append(list.size()).append(':');
      for (Object element : list) {
        append(out, element, depth + 1);
      }
    } else if (key instanceof Object[] array) {
      sequence(out, 'A', array, depth);
    } else if (key.getClass().isArray()) { // int[] and Integer[] are not equal in a SimpleKey (Arrays.deepEquals)
      int n = Array.getLength(key);
      out.append('P');
      string(out, key.getClass().getComponentType().getName());
      out.append(n).append(':');
      for (int i = 0; i < n; i++) {
        append(out, Array.get(key, i), depth + 1);
      }
    } else if (key instanceof Record r) {
      record(out, r, depth);
    } else {
      throw new IllegalArgumentException("no injective encoding for a cache key of type " + key.getClass().getName()
          + ": use a String, a number, an enum, a UUID, a record or a list of them (e.g. key = \"#book.isbn\")");
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('s').append(s.length()).append(':').append(s);
  }

  private static void sequence(StringBuilder out, char tag, @Nullable Object[] elements, int depth) {
    out.append(tag).append(elements.length).append(':');
    for (Object element : elements) {
      append(out, element, depth + 1);
    }
  }

  private static void record(StringBuilder out, Record r, int depth) {
    RecordComponent[] components = r.getClass().getRecordComponents();
    out.append('r');
    string(out, r.getClass().getName());
    out.append(components.length).append(':');
    for (RecordComponent c : components) {
      Object value;
      try {
        java.lang.reflect.Method accessor = c.getAccessor();
        if (!accessor.canAccess(r)) {
          accessor.setAccessible(true); // a record nested in a test or a package-private one
        }
        value = accessor.invoke(r);
      } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
        throw new IllegalArgumentException("cannot read component " + c.getName() + " of cache key "
            + r.getClass().getName() + " (make the record public): " + e, e);
      }
      append(out, value, depth + 1);
    }
  }

  /**
   * {@code SimpleKey} keeps its parameters private and has no accessor: read the field (both sit in the unnamed
   * module on a class path; on a module path {@code spring.context} must open {@code o.s.cache.interceptor}).
   */
  private static VarHandle simpleKeyParams() {
    try {
      return MethodHandles.privateLookupIn(SimpleKey.class, MethodHandles.lookup())
          .findVarHandle(SimpleKey.class, "params", Object[].class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ExceptionInInitializerError("cannot read SimpleKey's parameters: " + e);
    }
  }
}
