package stampede.examples;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import stampede.redis.ValueCodec;

// docs:begin codec
/** A product as bytes in Redis: its fields in order; decode rejects anything else (a corrupt entry, not a guess). */
public final class ProductCodec implements ValueCodec<Product> {
  @Override
  public byte[] encode(Product p) {
    try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(p.sku());
      out.writeUTF(p.name());
      out.writeLong(p.priceCents());
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writeUTF refuses strings over 65,535 bytes: nothing is written
    }
  }

  @Override
  public Product decode(byte[] bytes) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    Product p = new Product(in.readUTF(), in.readUTF(), in.readLong());
    if (in.available() != 0) {
      throw new IOException("trailing bytes after a product");
    }
    return p;
  }
}
// docs:end codec
