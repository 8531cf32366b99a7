/**
 * SKU → product id cache. A product's id never changes, so entries need no expiry; a deleted product is
 * detected on use (product(id) returns null) and looked up again.
 */
export interface ProductIdCache {
  get(sku: string): Promise<string | undefined> | string | undefined;
  set(sku: string, productId: string): Promise<void> | void;
  /** Optional: called when a cached id points at a product that no longer exists. */
  delete?(sku: string): Promise<void> | void;
}

/** In-memory LRU cache bounded to `maxEntries` SKUs (default 10 000). */
export function createMemoryProductIdCache(maxEntries = 10_000): ProductIdCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be an integer ≥ 1');
  // A Map iterates in insertion order: re-inserting on read makes the first key the least recently used.
  const entries = new Map<string, string>();
  return {
    get(sku) {
      const id = entries.get(sku);
      if (id !== undefined) {
        entries.delete(sku);
        entries.set(sku, id);
      }
      return id;
    },
    set(sku, productId) {
      entries.delete(sku);
      entries.set(sku, productId);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    delete(sku) {
      entries.delete(sku);
    },
  };
}
