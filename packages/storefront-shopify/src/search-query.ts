/**
 * Shopify search syntax: a quoted phrase keeps characters such as `:` `-` `.` and spaces from being read as
 * syntax; backslash and double quote are escaped inside it.
 */
export function skuSearchQuery(sku: string): string {
  return `sku:"${sku.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
