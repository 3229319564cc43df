package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every strategy's javadoc ends with its copy set: the files a user copies with it so that it runs as a cache. This
 * test computes that set from the sources, as the closure of what the class, {@code CacheAside} (the read path) and
 * {@code StoreFill} (the writer) refer to in code (comments and strings stripped), and fails when a list is wrong.
 */
class CopySetTest {
  private static final Path SPI = Path.of("../core/spi/src/main/java/stampede/core");
  private static final Path STRATEGIES = Path.of("src/main/java/stampede/strategies");
  private static final Pattern COPY_SET = Pattern.compile("<p><b>Copy with it:</b>(.*?)(?:<p>|\\*/)",
      Pattern.DOTALL);
  private static final Pattern FILE = Pattern.compile("(\\w+)\\.java");
  private static final Pattern IDENTIFIER = Pattern.compile("\\b[A-Z]\\w*\\b");

  @Test
  void everyStrategyListsExactlyTheFilesItNeeds() {
    Map<String, String> code = new TreeMap<>();
    Map<String, String> javadoc = new TreeMap<>();
    Set<String> strategies = new TreeSet<>();
    for (Path dir : new Path[] {SPI, STRATEGIES}) {
      for (Path file : javaFiles(dir)) {
        String name = file.getFileName().toString().replace(".java", "");
        String source = read(file);
        code.put(name, stripCommentsAndStrings(source));
        javadoc.put(name, source);
        if (dir == STRATEGIES) {
          strategies.add(name);
        }
      }
    }
    assertTrue(strategies.size() >= 14, "strategies found: " + strategies);
    Map<String, Set<String>> wrong = new TreeMap<>();
    for (String strategy : strategies) {
      Matcher m = COPY_SET.matcher(javadoc.get(strategy));
      assertTrue(m.find(), strategy + ".java has no '<p><b>Copy with it:</b>' paragraph");
      Set<String> listed = new TreeSet<>();
      for (Matcher f = FILE.matcher(m.group(1)); f.find(); ) {
        listed.add(f.group(1));
      }
      Set<String> needed = closure(code, strategy, "CacheAside", "StoreFill");
      needed.remove(strategy);
      if (!needed.equals(listed)) {
        wrong.put(strategy, needed);
      }
    }
    assertEquals(Map.of(), wrong, "copy sets in the javadoc that do not match the sources (what they should be)");
  }

  @Test
  void theSpiNeedsNoStrategy() {
    for (Path file : javaFiles(SPI)) {
      String source = stripCommentsAndStrings(read(file));
      assertFalse(source.contains("stampede.strategies"), file + " refers to the strategies");
    }
  }

  /** The classes of {@code code} reachable from {@code roots} by identifier references in code. */
  private static Set<String> closure(Map<String, String> code, String... roots) {
    Set<String> seen = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(java.util.List.of(roots));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name)) {
        continue;
      }
      for (Matcher m = IDENTIFIER.matcher(code.get(name)); m.find(); ) {
        String ref = m.group();
        if (code.containsKey(ref) && !seen.contains(ref)) {
          todo.push(ref);
        }
      }
    }
    return seen;
  }

  /** Java source without comments, string and char literals (a reference in a javadoc is not a dependency). */
  static String stripCommentsAndStrings(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
        while (i < s.length() && s.charAt(i) != '\n') {
          i++;
        }
        out.append('\n');
      } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length() : end + 1;
        out.append(' ');
      } else if (c == '"' || c == '\'') {
        for (i++; i < s.length() && s.charAt(i) != c; i++) {
          if (s.charAt(i) == '\\') {
            i++;
          }
        }
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static java.util.List<Path> javaFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("package-info.java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
