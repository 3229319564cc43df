package stampede.report;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a run happened: cores, OS, CPU model (from /proc/cpuinfo), JVM version and vendor, date. */
public final class MachineInfo {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MachineInfo() {
  }

  public static Map<String, Object> collect() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    m.put("cpuModel", cpuModel());
    m.put("jvmVersion", System.getProperty("java.runtime.version", System.getProperty("java.version")));
    m.put("jvmVendor", System.getProperty("java.vendor") + " (" + System.getProperty("java.vm.name") + ")");
    return m;
  }

  static String cpuModel() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    try {
      if (Files.isReadable(cpuinfo)) {
        for (String line : Files.readAllLines(cpuinfo)) {
          if (line.startsWith("model name")) {
            return line.substring(line.indexOf(':') + 1).trim();
          }
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "unknown";
  }

  /** Writes {@code info} as a JSON object, one key per line ({@code run-info.json}). */
  public static void write(Map<String, Object> info, Path file) throws IOException {
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(info) + "\n",
        StandardCharsets.UTF_8);
  }

  /** Reads what {@link #write} wrote, keys in file order. */
  public static Map<String, Object> read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
  }
}
