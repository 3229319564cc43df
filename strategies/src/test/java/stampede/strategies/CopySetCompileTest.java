package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every copy set a user is told to copy compiles alone: each file is copied out of the repository into a temporary
 * folder and compiled with the JDK's compiler, with nothing on the class path but the libraries that set names.
 *
 * <ul>
 *   <li>A strategy's javadoc copy set ({@code <p><b>Copy with it:</b> ...}), with the strategy: no library at all.
 *   <li>Every set published in {@code README.md} and {@code docs/*.md} between
 *       {@code <!-- copy-set NAME [include=OTHER,...] [libs=PREFIX,...] -->} and {@code <!-- /copy-set -->}: the
 *       backticked class names there ({@code `RedisStore.java`} or {@code `RedisStore`}; lower-case words such as module names are not files), plus the sets it includes,
 *       compiled with the jars of this test's class path whose file names start with one of the prefixes.
 * </ul>
 * {@link CopySetTest} checks that a strategy's list is exactly its closure; this test checks that what a copier
 * copies compiles, including the store sets, which no closure computes.
 */
class CopySetCompileTest {
  static final Path ROOT = Path.of("..");
  private static final List<Path> SOURCE_ROOTS = List.of(
      Path.of("core/spi/src/main/java"), Path.of("core/caffeine/src/main/java"), Path.of("core/redis/src/main/java"),
      Path.of("core/micrometer/src/main/java"), Path.of("strategies/src/main/java"));
  private static final Pattern JAVADOC_SET = Pattern.compile("<p><b>Copy with it:</b>(.*?)(?:<p>|\\*/)",
      Pattern.DOTALL);
  private static final Pattern FILE = Pattern.compile("(\\w+)\\.java");
  private static final Pattern MARKED_SET = Pattern.compile(
      "<!--\\s*copy-set\\s+([\\w-]+)((?:\\s+\\w+=[^\\s>]*)*)\\s*-->(.*?)<!--\\s*/copy-set\\s*-->", Pattern.DOTALL);
  private static final Pattern OPTION = Pattern.compile("(\\w+)=([^\\s>]*)");
  private static final Pattern BACKTICKED = Pattern.compile("`([A-Z]\\w*)(?:\\.java)?`");

  @TempDir
  Path temp;

  @Test
  void everyStrategysCopySetCompilesWithNoLibrary() {
    Map<String, Path> sources = sources();
    Map<String, String> errors = new TreeMap<>();
    int compiled = 0;
    for (Path file : javaFiles(ROOT.resolve("strategies/src/main/java/stampede/strategies"))) {
      String strategy = file.getFileName().toString().replace(".java", "");
      Matcher m = JAVADOC_SET.matcher(read(file));
      assertTrue(m.find(), strategy + ".java has no copy set");
      Set<String> set = new TreeSet<>(List.of(strategy));
      for (Matcher f = FILE.matcher(m.group(1)); f.find(); ) {
        set.add(f.group(1));
      }
      String result = compile("javadoc-" + strategy, set, sources, List.of());
      if (!result.isEmpty()) {
        errors.put(strategy, result);
      }
      compiled++;
    }
    assertTrue(compiled >= 14, "strategies compiled: " + compiled);
    assertEquals(Map.of(), errors, "javadoc copy sets that do not compile alone");
  }

  @Test
  void everyCopySetPublishedInTheDocsCompilesWithItsLibrariesOnly() {
    Map<String, Path> sources = sources();
    Map<String, MarkedSet> sets = markedSets();
    assertTrue(sets.containsKey("base"), "no <!-- copy-set base --> in README.md or docs/: " + sets.keySet());
    assertTrue(sets.keySet().stream().anyMatch(n -> n.startsWith("redis")), "no Redis set published: " + sets.keySet());
    Map<String, String> errors = new TreeMap<>();
    for (MarkedSet set : sets.values()) {
      Set<String> files = new TreeSet<>();
      List<String> libs = new ArrayList<>();
      collect(set, sets, files, libs, new TreeSet<>());
      List<Path> jars = jars(libs);
      for (String lib : libs) {
        assertTrue(jars.stream().anyMatch(j -> j.getFileName().toString().startsWith(lib)),
            set.where + ": no jar on the test class path starts with '" + lib + "'");
      }
      String result = compile("docs-" + set.name, files, sources, jars);
      if (!result.isEmpty()) {
        errors.put(set.name + " (" + set.where + ", " + files.size() + " files, libs " + libs + ")", result);
      }
    }
    assertEquals(Map.of(), errors, "copy sets published in the docs that do not compile alone");
  }

  /** The marker parser itself: a set's names, options and includes. */
  @Test
  void aMarkedSetListsItsBacktickedFilesAndOptions() {
    Map<String, MarkedSet> sets = new LinkedHashMap<>();
    parse("x.md", "Copy <!-- copy-set a libs=lettuce-core,netty- --> `RedisStore.java` and `Entry`"
        + " <!-- /copy-set --> then `NotListed`.\n<!-- copy-set b include=a -->\n- `Ticker.java`\n<!-- /copy-set -->",
        sets);
    assertEquals(Set.of("a", "b"), sets.keySet());
    assertEquals(List.of("RedisStore", "Entry"), sets.get("a").files);
    assertEquals(List.of("lettuce-core", "netty-"), sets.get("a").libs);
    assertEquals(List.of("a"), sets.get("b").includes);
    Set<String> files = new TreeSet<>();
    List<String> libs = new ArrayList<>();
    collect(sets.get("b"), sets, files, libs, new TreeSet<>());
    assertEquals(Set.of("RedisStore", "Entry", "Ticker"), files);
    assertEquals(List.of("lettuce-core", "netty-"), libs);
  }

  record MarkedSet(String name, String where, List<String> files, List<String> includes, List<String> libs) { }

  static Map<String, MarkedSet> markedSets() {
    Map<String, MarkedSet> sets = new LinkedHashMap<>();
    for (Path doc : docs()) {
      parse(ROOT.relativize(doc).toString(), read(doc), sets);
    }
    return sets;
  }

  /** README.md and every page of docs/. */
  static List<Path> docs() {
    List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    Path dir = ROOT.resolve("docs");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        docs.addAll(files.filter(p -> p.toString().endsWith(".md")).sorted().toList());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return docs;
  }

  private static void parse(String where, String text, Map<String, MarkedSet> sets) {
    for (Matcher m = MARKED_SET.matcher(text); m.find(); ) {
      Map<String, List<String>> options = new TreeMap<>();
      for (Matcher o = OPTION.matcher(m.group(2)); o.find(); ) {
        options.put(o.group(1), List.of(o.group(2).split(",")));
      }
      assertTrue(Set.of("include", "libs").containsAll(options.keySet()), where + ": unknown option in " + m.group());
      List<String> files = new ArrayList<>();
      for (Matcher f = BACKTICKED.matcher(m.group(3)); f.find(); ) {
        files.add(f.group(1));
      }
      assertFalse(files.isEmpty(), where + ": copy set " + m.group(1) + " lists no `File.java`");
      MarkedSet previous = sets.put(m.group(1), new MarkedSet(m.group(1), where, files,
          options.getOrDefault("include", List.of()), options.getOrDefault("libs", List.of())));
      assertEquals(null, previous, where + ": copy set " + m.group(1) + " published twice");
    }
  }

  private static void collect(MarkedSet set, Map<String, MarkedSet> sets, Set<String> files, List<String> libs,
      Set<String> seen) {
    if (!seen.add(set.name)) {
      return;
    }
    files.addAll(set.files);
    for (String lib : set.libs) {
      if (!libs.contains(lib)) {
        libs.add(lib);
      }
    }
    for (String include : set.includes) {
      MarkedSet included = sets.get(include);
      assertTrue(included != null, set.where + ": copy set " + set.name + " includes unknown set " + include);
      collect(included, sets, files, libs, seen);
    }
  }

  /** Copies {@code names} into a fresh folder and compiles them; the compiler's errors, or "" if it compiled. */
  private String compile(String label, Set<String> names, Map<String, Path> sources, List<Path> classPath) {
    try {
      Path src = Files.createDirectories(temp.resolve(label).resolve("src"));
      Path out = Files.createDirectories(temp.resolve(label).resolve("classes"));
      List<File> copied = new ArrayList<>();
      for (String name : names) {
        Path from = sources.get(name);
        if (from == null) {
          return "listed file " + name + ".java is not a source file of the repository";
        }
        Path to = src.resolve(sources.get(name).getFileName());
        Files.copy(from, to);
        copied.add(to.toFile());
      }
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      if (javac == null) {
        throw new IllegalStateException("no system Java compiler: run the tests on a JDK, not a JRE");
      }
      DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
      try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
        List<String> options = new ArrayList<>(List.of("--release", "17", "-proc:none", "-implicit:none",
            "-d", out.toString(), "-classpath", classPath.isEmpty() ? out.toString()
                : String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList()),
            "-sourcepath", "")); // an empty source path: a missing file is an error, not found elsewhere
        StringWriter log = new StringWriter();
        boolean ok = javac.getTask(log, files, diagnostics, options, null, files.getJavaFileObjectsFromFiles(copied))
            .call();
        if (ok) {
          return "";
        }
        StringBuilder errors = new StringBuilder();
        long count = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).count();
        errors.append(count).append(" errors:");
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
          if (d.getKind() == Diagnostic.Kind.ERROR) {
            String file = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName().toString();
            errors.append("\n  ").append(file).append(':').append(d.getLineNumber()).append(": ")
                .append(String.join(" ", d.getMessage(Locale.ROOT).lines().map(String::strip).toList()));
          }
        }
        return errors.toString();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The jars of this JVM's class path whose file names start with one of {@code prefixes}. */
  private static List<Path> jars(List<String> prefixes) {
    List<Path> jars = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      String name = path.getFileName() == null ? "" : path.getFileName().toString();
      if (name.endsWith(".jar") && prefixes.stream().anyMatch(name::startsWith)) {
        jars.add(path);
      }
    }
    return jars;
  }

  /** Every main source file of the copyable modules, by class name (names are unique across them). */
  private static Map<String, Path> sources() {
    Map<String, Path> sources = new TreeMap<>();
    for (Path root : SOURCE_ROOTS) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(root))) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          String name = file.getFileName().toString().replace(".java", "");
          if (!name.equals("package-info")) {
            Path previous = sources.put(name, file);
            assertEquals(null, previous, "two source files named " + name + ".java");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return sources;
  }

  private static List<Path> javaFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("package-info.java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
