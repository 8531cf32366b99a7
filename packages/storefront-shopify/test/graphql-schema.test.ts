/**
 * Every GraphQL document the storefront sends is valid against Shopify's Admin API schema for the default
 * version (the introspection Shopify publishes, in test/fixtures; refresh it with
 * scripts/refresh-admin-schema.sh) and uses no deprecated field: the fake answers by root field only, so
 * this is what catches a misspelt field, a wrong argument type or a mutation Shopify is retiring.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { buildClientSchema, NoDeprecatedCustomRule, parse, specifiedRules, validate, type IntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as operations from '../src/operations.js';
import { DEFAULT_API_VERSION } from '../src/index.js';

const fixture = new URL(`./fixtures/admin-${DEFAULT_API_VERSION}.schema.json.gz`, import.meta.url);
const introspection = JSON.parse(gunzipSync(readFileSync(fixture)).toString('utf8')) as { data: IntrospectionQuery };
const schema = buildClientSchema(introspection.data);
const documents: Array<[string, string]> = Object.entries(operations).filter(([, doc]) => /^\s*(query|mutation)\b/.test(doc));

describe(`GraphQL documents against the Admin API ${DEFAULT_API_VERSION} schema`, () => {
  it('finds the documents', () => {
    expect(documents.map(([name]) => name).sort()).toEqual(
      ['ATTACH_MEDIA', 'DELETE_FILES', 'MEDIA_STATUS', 'PRODUCT_BY_SKU', 'PRODUCT_MEDIA', 'STAGED_UPLOADS_CREATE'].sort(),
    );
  });

  it.each(documents)('%s is valid and uses no deprecated field', (_name, document) => {
    const errors = validate(schema, parse(document), [...specifiedRules, NoDeprecatedCustomRule]);
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('would catch a deprecated mutation and a field that does not exist', () => {
    const deprecated = 'mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds } }';
    expect(
      validate(schema, parse(deprecated), [...specifiedRules, NoDeprecatedCustomRule])
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/productDeleteMedia.*deprecated/);
    const misspelt = 'query { product(id: "gid://shopify/Product/1") { titel } }';
    expect(
      validate(schema, parse(misspelt))
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/Cannot query field "titel"/);
  });
});
