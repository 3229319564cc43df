package stampede.examples;

/** The value the examples cache: a product of a shop, read by its SKU. */
public record Product(String sku, String name, long priceCents) { }
