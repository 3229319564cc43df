package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.cache.interceptor.SimpleKey;

class SpringKeysTest {

  public record Isbn(String prefix, int number) { }

  @Test
  void keysThatToStringAlikeEncodeApart() {
    // Every pair prints alike (toString) or nearly so; none is equal, so no two may share an encoding.
    Object[][] pairs = {
        {new SimpleKey(1, "2"), new SimpleKey("1", 2)},
        {1, 1L},
        {"1", 1},
        {new SimpleKey("a,b"), new SimpleKey("a", "b")},
        {new SimpleKey("a", "b"), List.of("a", "b")},
        {new SimpleKey((Object) null), new SimpleKey("null")},
        {"s1:x", List.of("x")},
        {new SimpleKey("ab", "c"), new SimpleKey("a", "bc")},
        {new SimpleKey(new int[] {1}), new SimpleKey((Object) new Integer[] {1})},
        {new BigDecimal("1.0"), new BigDecimal("1.00")},
        {0.0d, -0.0d},
        {TimeUnit.SECONDS, "SECONDS"},
        {new Isbn("978", 1), new SimpleKey("978", 1)},
        {true, "T"},
        {'c', "c"},
        {"", SimpleKey.EMPTY},
    };
    for (Object[] pair : pairs) {
      assertNotEquals(pair[0], pair[1]);
      assertNotEquals(SpringKeys.encode(pair[0]), SpringKeys.encode(pair[1]), () -> Arrays.deepToString(pair));
    }
  }

  @Test
  void equalKeysEncodeAlike() {
    assertEquals(SpringKeys.encode(new SimpleKey("a", 1L, null)), SpringKeys.encode(new SimpleKey("a", 1L, null)));
    assertEquals(SpringKeys.encode(new ArrayList<>(List.of(1, 2))), SpringKeys.encode(new LinkedList<>(List.of(1, 2))));
    assertEquals(SpringKeys.encode(new Isbn("978", 3)), SpringKeys.encode(new Isbn("978", 3)));
    assertEquals(SpringKeys.encode(Double.NaN), SpringKeys.encode(0.0d / 0.0d));
  }

  /**
   * Random composite keys over a small alphabet (so collisions of the naive forms are frequent): the encodings of
   * two keys are equal exactly when the keys are.
   */
  @Test
  void encodingIsInjectiveOnRandomCompositeKeys() {
    Random random = new Random(42);
    Map<String, Object> seen = new HashMap<>();
    int distinct = 0;
    for (int i = 0; i < 200_000; i++) {
      Object key = randomKey(random, 0);
      Object before = seen.putIfAbsent(SpringKeys.encode(key), key);
      if (before == null) {
        distinct++;
      } else {
        assertEquals(before, key, "two different keys share an encoding");
      }
    }
    assertTrue(distinct > 10_000, "the generator must produce many distinct keys: " + distinct);
  }

  private static Object randomKey(Random r, int depth) {
    switch (r.nextInt(depth < 2 ? 8 : 6)) {
      case 0: return null;
      case 1: return "1,:;s".substring(0, r.nextInt(6)) + (r.nextBoolean() ? "" : "1");
      case 2: return r.nextInt(3);
      case 3: return (long) r.nextInt(3);
      case 4: return r.nextBoolean();
      case 5: return (short) r.nextInt(2);
      case 6: {
        Object[] params = new Object[r.nextInt(3)];
        for (int i = 0; i < params.length; i++) {
          params[i] = randomKey(r, depth + 1);
        }
        return new SimpleKey(params);
      }
      default: {
        List<Object> list = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
          list.add(randomKey(r, depth + 1));
        }
        return list;
      }
    }
  }

  @Test
  void aKeyWithoutAKnownEqualsIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpringKeys.encode(new SimpleKey(new Object())));
    assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
  }

  @Test
  void redisNamesCarryTheGeneration() {
    var keys = SpringKeys.redisKeys("stampede:books:");
    assertEquals("stampede:books:{3:s4:isbn}", keys.entry(new CacheKey(3, "isbn")));
    assertNotEquals(keys.entry(new CacheKey(3, "isbn")), keys.entry(new CacheKey(4, "isbn")));
  }
}
