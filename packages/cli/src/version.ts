// Inlined at build time by tsup (esbuild) and resolved by tsx in source mode: one source of truth.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
