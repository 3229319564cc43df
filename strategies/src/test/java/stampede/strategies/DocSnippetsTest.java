package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java block in {@code README.md} and {@code docs/*.md} is a region of an example that the build compiles (and
 * {@code stampede.examples.ExamplesTest} runs). The line just above each {@code ```java} fence must be
 * {@code <!-- snippet path/to/Example.java#region -->} (the path from the repository's root), and the block must equal
 * the lines between {@code // docs:begin region} and {@code // docs:end region} of that file, indentation normalised.
 *
 * <p>{@code -Ddocs.update=true} rewrites every marked block from its region instead of failing on it.
 */
class DocSnippetsTest {
  private static final Path ROOT = CopySetCompileTest.ROOT;
  private static final Pattern FENCE = Pattern.compile("^\\s*```\\s*java\\s*$");
  private static final Pattern END_FENCE = Pattern.compile("^\\s*```\\s*$");
  private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*snippet\\s+(\\S+)#([\\w-]+)\\s*-->\\s*$");
  private static final boolean UPDATE = Boolean.getBoolean("docs.update");

  @Test
  void everyJavaBlockIsAMarkedRegionOfACompiledExample() {
    List<String> problems = new ArrayList<>();
    int blocks = 0;
    for (Path doc : CopySetCompileTest.docs()) {
      String where = ROOT.relativize(doc).toString();
      List<String> lines = new ArrayList<>(CopySetCompileTest.read(doc).lines().toList());
      boolean changed = false;
      for (int i = 0; i < lines.size(); i++) {
        Matcher marker = MARKER.matcher(lines.get(i));
        if (marker.matches() && (i + 1 >= lines.size() || !FENCE.matcher(lines.get(i + 1)).matches())) {
          problems.add(where + ":" + (i + 1) + ": a snippet marker not followed by a ```java block");
        }
        if (!FENCE.matcher(lines.get(i)).matches()) {
          continue;
        }
        blocks++;
        int end = i + 1;
        while (end < lines.size() && !END_FENCE.matcher(lines.get(end)).matches()) {
          end++;
        }
        if (end == lines.size()) {
          problems.add(where + ":" + (i + 1) + ": a ```java block that never ends");
          break;
        }
        Matcher above = i == 0 ? null : MARKER.matcher(lines.get(i - 1));
        if (above == null || !above.matches()) {
          problems.add(where + ":" + (i + 1) + ": a ```java block without <!-- snippet path#region --> above it");
          i = end;
          continue;
        }
        String source = above.group(1);
        List<String> region;
        try {
          region = region(source, above.group(2));
        } catch (IllegalArgumentException e) {
          problems.add(where + ":" + i + ": " + e.getMessage());
          i = end;
          continue;
        }
        List<String> block = normalise(lines.subList(i + 1, end));
        if (!block.equals(region)) {
          if (UPDATE) {
            for (int k = end - 1; k > i; k--) {
              lines.remove(k);
            }
            lines.addAll(i + 1, region);
            end = i + 1 + region.size();
            changed = true;
          } else {
            problems.add(where + ":" + (i + 1) + ": the block differs from " + source + "#" + above.group(2)
                + firstDifference(block, region));
          }
        }
        i = end;
      }
      if (changed) {
        write(doc, String.join("\n", lines) + "\n");
      }
    }
    assertTrue(blocks > 0, "no ```java block found in the docs");
    assertEquals(List.of(), problems, "doc blocks that are not compiled examples (-Ddocs.update=true rewrites the"
        + " marked ones from their sources)");
  }

  @Test
  void everyRegionOfTheExamplesIsClosedAndNamedOnce() {
    Map<String, String> problems = new TreeMap<>();
    List<String> regions = new ArrayList<>();
    for (Path file : examples()) {
      List<String> open = new ArrayList<>();
      for (String line : CopySetCompileTest.read(file).lines().toList()) {
        Matcher begin = BEGIN.matcher(line);
        Matcher end = END.matcher(line);
        if (begin.find()) {
          if (!open.isEmpty()) {
            problems.put(file + "#" + begin.group(1), "begins inside region " + open);
          }
          open.add(begin.group(1));
          if (regions.contains(file + "#" + begin.group(1))) {
            problems.put(file + "#" + begin.group(1), "named twice");
          }
          regions.add(file + "#" + begin.group(1));
        } else if (end.find()) {
          if (!open.remove(end.group(1))) {
            problems.put(file + "#" + end.group(1), "ends but never began");
          }
        }
      }
      for (String name : open) {
        problems.put(file + "#" + name, "never ends");
      }
    }
    assertTrue(regions.size() >= 5, "regions found: " + regions);
    assertEquals(Map.of(), problems);
  }

  /** The region parser and the normalisation: indentation removed, inner indentation kept. */
  @Test
  void aRegionIsItsLinesWithTheCommonIndentationRemoved() {
    List<String> lines = List.of("class A {", "  void f() {", "    // docs:begin r", "    int a = 1;",
        "      // more", "", "    int b = a; ", "    // docs:end r", "  }", "}");
    assertEquals(List.of("int a = 1;", "  // more", "", "int b = a;"), region(lines, "r", "A.java"));
  }

  private static final Pattern BEGIN = Pattern.compile("//\\s*docs:begin\\s+([\\w-]+)");
  private static final Pattern END = Pattern.compile("//\\s*docs:end\\s+([\\w-]+)");

  private static List<String> region(String source, String name) {
    Path file = ROOT.resolve(source).normalize();
    if (!source.contains("/src/") || !source.endsWith(".java") || !Files.isRegularFile(file)) {
      throw new IllegalArgumentException(source + " is not a compiled Java source of the build (module/src/...)");
    }
    return region(CopySetCompileTest.read(file).lines().toList(), name, source);
  }

  static List<String> region(List<String> lines, String name, String source) {
    int begin = -1;
    for (int i = 0; i < lines.size(); i++) {
      Matcher b = BEGIN.matcher(lines.get(i));
      Matcher e = END.matcher(lines.get(i));
      if (b.find() && b.group(1).equals(name)) {
        begin = i;
      } else if (e.find() && e.group(1).equals(name) && begin >= 0) {
        return normalise(lines.subList(begin + 1, i));
      }
    }
    throw new IllegalArgumentException(source + " has no region '" + name + "' (// docs:begin " + name
        + " ... // docs:end " + name + ")");
  }

  /** Trailing spaces and the indentation every non-blank line shares removed; blank lines at both ends dropped. */
  static List<String> normalise(List<String> lines) {
    int indent = Integer.MAX_VALUE;
    for (String line : lines) {
      if (!line.isBlank()) {
        indent = Math.min(indent, line.length() - line.stripLeading().length());
      }
    }
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(line.isBlank() ? "" : line.substring(indent).stripTrailing());
    }
    while (!out.isEmpty() && out.get(0).isEmpty()) {
      out.remove(0);
    }
    while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  private static String firstDifference(List<String> block, List<String> region) {
    for (int i = 0; i < Math.max(block.size(), region.size()); i++) {
      String b = i < block.size() ? block.get(i) : "(nothing)";
      String r = i < region.size() ? region.get(i) : "(nothing)";
      if (!b.equals(r)) {
        return ", first at its line " + (i + 1) + ":\n    doc:    " + b + "\n    source: " + r;
      }
    }
    return "";
  }

  private static List<Path> examples() {
    try (var files = Files.walk(ROOT.resolve("strategies/src/test/java/stampede/examples"))) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
