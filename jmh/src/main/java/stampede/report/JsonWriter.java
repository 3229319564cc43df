package stampede.report;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the numbers behind the pages as indented JSON with Jackson: maps in their order, records with their
 * components as keys (in declaration order), NaN as {@code "NaN"}.
 */
public final class JsonWriter {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonWriter() {
  }

  /** {@code value} as indented JSON. */
  public static String json(Object value) throws IOException {
    return JSON.writeValueAsString(value);
  }

  /** Reads a JSON object written by {@link #write}, keys in file order. */
  public static Map<String, Object> read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
  }

  /** Writes {@code value} to {@code file}, with a final newline. */
  public static void write(Object value, Path file) throws IOException {
    Files.writeString(file, json(value) + "\n", StandardCharsets.UTF_8);
  }
}
