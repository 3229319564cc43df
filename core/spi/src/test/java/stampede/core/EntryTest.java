package stampede.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Entry}: freshness, staleness, and what counts as another write. */
class EntryTest {

  @Test
  void isFreshBeforeItsExpiryAndStaleAfter() {
    Entry<String> e = new Entry<>("v", 100, 200, 5, 0);
    assertTrue(e.isFresh(199));
    assertFalse(e.isFresh(200));
    assertEquals(0, e.staleFor(150));
    assertEquals(50, e.staleFor(250));
  }

  @Test
  void aReReadOfTheSameWriteDoesNotSupersedeItEvenForArrayValues() {
    Entry<byte[]> seen = new Entry<>(new byte[] {1, 2, 3}, 100, 200, 5, 7);
    Entry<byte[]> reRead = new Entry<>(new byte[] {1, 2, 3}, 100, 200, 5, 7);
    assertFalse(reRead.supersedes(seen), "the same write decoded again is not a newer write");
    assertTrue(reRead.supersedes(null));
  }

  @Test
  void anyOtherWriteSupersedes() {
    Entry<String> seen = new Entry<>("v", 100, 200, 5, 7);
    assertTrue(new Entry<>("w", 100, 200, 5, 7).supersedes(seen), "another value");
    assertTrue(new Entry<>("v", 101, 200, 5, 7).supersedes(seen), "another write time");
    assertTrue(new Entry<>("v", 100, 201, 5, 7).supersedes(seen), "another expiry");
    assertTrue(new Entry<>("v", 100, 200, 6, 7).supersedes(seen), "another load");
    assertTrue(new Entry<>("v", 100, 200, 5, 8).supersedes(seen), "another fence");
  }

  @Test
  void rejectsWhatCannotBeAnEntry() {
    assertThrows(NullPointerException.class, () -> new Entry<>(null, 0, 1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Entry<>("v", 2, 1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Entry<>("v", 0, 1, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new Entry<>("v", 0, 1, 0, -1));
  }
}
