/**
 * Generated credentials for the embedded defaults: created once with mode 0600 in the data directory and
 * reused on restart. Only the file's path is ever logged.
 *
 * Servers started at the same moment on one data directory race to create these files, so a secret file
 * only ever appears complete: the value is written and fsynced to a private temp file, then hard-linked
 * into place. `link` fails with EEXIST when another process won, and the loser reads the winner's value.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { JobkitError } from 'jobkit';

/** Reads the secret in `file`, or creates it (0600) with `bytes` random bytes (hex) when missing. */
export async function loadOrCreateSecret(file: string, bytes = 32): Promise<{ value: string; created: boolean }> {
  const existing = await readSecret(file);
  if (existing !== null) return { value: existing, created: false };

  const value = randomBytes(bytes).toString('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let created = false;
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${value}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(tmp, file);
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new JobkitError('STORAGE_FAILED', `cannot create ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    await fs.rm(tmp, { force: true });
  }
  if (created) return { value, created: true };
  // Another process (or call) linked its file first: use what won.
  const won = await readSecret(file);
  if (won === null) throw new JobkitError('STORAGE_FAILED', `cannot create ${file}: it exists but cannot be read`);
  return { value: won, created: false };
}

/** The secret in `file` (permissions tightened to 0600), or null when there is no such file. */
async function readSecret(file: string): Promise<string | null> {
  let text: string;
  try {
    const st = await fs.stat(file);
    // Tighten permissions someone loosened by hand.
    if ((st.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new JobkitError('STORAGE_FAILED', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const value = text.trim();
  if (value.length < 16)
    throw new JobkitError('INVALID_INPUT', `${file} must hold a secret of at least 16 characters; delete it to generate a new one`, {
      details: { field: file },
    });
  return value;
}
