#!/usr/bin/env bash
# Refreshes test/fixtures/admin-<version>.schema.json.gz, the Admin GraphQL API introspection that
# test/graphql-schema.test.ts validates every document against. Shopify publishes it per API version in
# the npm package @shopify/dev-mcp (dist/data/admin_<version>.json.gz); this takes it from there.
#   bash packages/storefront-shopify/scripts/refresh-admin-schema.sh [version]   (default 2026-10)
set -euo pipefail
version="${1:-2026-10}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @shopify/dev-mcp >/dev/null && tar xzf shopify-dev-mcp-*.tgz "package/dist/data/admin_${version}.json.gz")
cp "$work/package/dist/data/admin_${version}.json.gz" "$here/../test/fixtures/admin-${version}.schema.json.gz"
echo "test/fixtures/admin-${version}.schema.json.gz updated from $(cd "$work" && ls shopify-dev-mcp-*.tgz)"
