/** Model identifiers: `owner/name` (official models, run by name) or `owner/name:version` (any model). */
import { invalidInput } from 'jobkit';

export interface ModelRef {
  owner: string;
  name: string;
  /** 64-hex version id; absent for official models, which run their latest version by name. */
  version?: string;
}

const MODEL_PATTERN = /^([a-z0-9][a-z0-9_.-]{0,63})\/([a-z0-9][a-z0-9_.-]{0,99})(?::([0-9a-f]{64}))?$/;

export function parseModelRef(value: string, field: string): ModelRef {
  const m = typeof value === 'string' ? MODEL_PATTERN.exec(value.trim()) : null;
  if (!m) throw invalidInput(field, `expected "owner/name" or "owner/name:<64-hex version>", got ${JSON.stringify(String(value)).slice(0, 120)}`);
  return m[3] ? { owner: m[1]!, name: m[2]!, version: m[3] } : { owner: m[1]!, name: m[2]! };
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.owner}/${ref.name}${ref.version ? `:${ref.version}` : ''}`;
}
