/**
 * Generated credentials for the embedded defaults: created once with mode 0600 in the data directory and
 * reused on restart. Only the file's path is ever logged.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { JobkitError } from 'jobkit';

/** Reads the secret in `file`, or creates it (0600) with `bytes` random bytes (hex) when missing. */
export async function loadOrCreateSecret(file: string, bytes = 32): Promise<{ value: string; created: boolean }> {
  try {
    const handle = await fs.open(file, 'wx', 0o600);
    const value = randomBytes(bytes).toString('hex');
    try {
      await handle.writeFile(`${value}\n`, 'utf8');
    } finally {
      await handle.close();
    }
    return { value, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new JobkitError('STORAGE_FAILED', `cannot create ${file}: ${(e as Error).message}`, { cause: e });
  }
  const st = await fs.stat(file);
  // Tighten permissions someone loosened by hand.
  if ((st.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  const value = (await fs.readFile(file, 'utf8')).trim();
  if (value.length < 16) throw new JobkitError('INVALID_INPUT', `${file} must hold a secret of at least 16 characters; delete it to generate a new one`, { details: { field: file } });
  return { value, created: false };
}
