package stampede.settings;

import java.util.Properties;

/** Settings for tests: {@code reference.conf} under the given {@code name=value} overrides, as -D would give them. */
public final class TestSettings {
  private TestSettings() {
  }

  public static BenchSettings of(String... overrides) {
    return BenchSettings.from(properties(overrides));
  }

  public static Properties properties(String... overrides) {
    Properties p = new Properties();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      p.setProperty(o.substring(0, eq), o.substring(eq + 1));
    }
    return p;
  }
}
