package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The codecs are lossless both ways: what encode accepts decodes back equal, what it cannot encode exactly it
 * refuses (issue 18, item 10: {@code utf8()} turned a lone surrogate into '?', so "x\uD800y" came back "x?y"), and
 * decode rejects bytes the codec would not write.
 */
class ValueCodecTest {
  private final ValueCodec<String> utf8 = ValueCodec.utf8();

  @Test
  void wellFormedTextRoundTripsExactly() throws Exception {
    List<String> texts = new ArrayList<>(List.of("", "plain ascii", "välue", "x\uD83D\uDE00y", "\uD83D\uDE00",
        "\u0000nul", "日本語", "\uDBFF\uDFFF max code point", "?"));
    SplittableRandom random = new SplittableRandom(18);
    for (int n = 0; n < 2_000; n++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(12); i > 0; i--) {
        int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
        if (codePoint < Character.MIN_SURROGATE || codePoint > Character.MAX_SURROGATE) {
          text.appendCodePoint(codePoint);
        }
      }
      texts.add(text.toString());
    }
    for (String text : texts) {
      byte[] bytes = utf8.encode(text);
      assertArrayEquals(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), bytes, text);
      assertEquals(text, utf8.decode(bytes), text);
      byte[] framed = new byte[bytes.length + 3];
      System.arraycopy(bytes, 0, framed, 2, bytes.length);
      assertEquals(text, utf8.decode(framed, 2, bytes.length), "decoded in place: " + text);
    }
  }

  /** Text UTF-8 cannot encode (an unpaired surrogate) is refused with the index, never written as '?'. */
  @Test
  void malformedUtf16IsRefusedNamingTheIndex() {
    Map<String, String> refused = Map.of(
        "x\uD800y", "U+D800 at index 1",
        "\uDC00", "U+DC00 at index 0",
        "ab\uD83D", "U+D83D at index 2",
        "\uDE00\uD83D", "U+DE00 at index 0",
        "ok \uD83D\uDE00 then \uDFFF", "U+DFFF at index 11");
    for (Map.Entry<String, String> r : refused.entrySet()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> utf8.encode(r.getKey()),
          () -> "encoded as " + HexFormat.of().formatHex(utf8.encode(r.getKey())));
      assertTrue(e.getMessage().contains(r.getValue()), e.getMessage());
    }
  }

  /** Bytes that are not strict UTF-8 are rejected: never decoded with replacement characters. */
  @Test
  void malformedUtf8IsRejected() {
    for (String hex : List.of("c328", "eda080", "c0af", "f4908080", "e282", "ff", "78eda08079")) {
      byte[] bytes = HexFormat.of().parseHex(hex);
      assertThrows(Exception.class, () -> utf8.decode(bytes), hex);
    }
  }

  /** Longs: every value round-trips in 8 bytes; any other length is rejected. */
  @Test
  void int64RoundTripsAndRejectsOtherLengths() throws Exception {
    ValueCodec<Long> int64 = ValueCodec.int64();
    for (long v : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 53, (1L << 53) + 1}) {
      byte[] bytes = int64.encode(v);
      assertEquals(8, bytes.length);
      assertEquals(v, int64.decode(bytes, 0, 8));
    }
    assertThrows(IllegalArgumentException.class, () -> int64.decode(new byte[7], 0, 7));
    assertThrows(IllegalArgumentException.class, () -> int64.decode(new byte[9], 0, 9));
  }
}
