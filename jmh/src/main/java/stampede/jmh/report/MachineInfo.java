package stampede.jmh.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a run happened: cores, OS, CPU model (from /proc/cpuinfo), JVM version and vendor, date. */
public final class MachineInfo {
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

  /** A flat map as a JSON object, one key per line. */
  public static String toJson(Map<String, Object> map) {
    StringBuilder b = new StringBuilder("{\n");
    int n = 0;
    for (Map.Entry<String, Object> e : map.entrySet()) {
      b.append("  ").append(Json.quote(e.getKey())).append(": ");
      Object v = e.getValue();
      if (v instanceof Number || v instanceof Boolean) {
        b.append(v);
      } else {
        b.append(Json.quote(String.valueOf(v)));
      }
      b.append(++n < map.size() ? ",\n" : "\n");
    }
    return b.append("}\n").toString();
  }
}
