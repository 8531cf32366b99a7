/** Command-line mistakes: exit code 2, a message on stderr naming the problem, nothing written. */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, VERSION } from '../src/index.js';
import { json, removeDir, runCli, tmpDir } from './support/cli.js';

describe('usage errors and help', () => {
  let root: string;
  const cli = (args: string[]) => runCli(args, { cwd: root });

  beforeAll(async () => {
    root = tmpDir();
    await fs.mkdir(path.join(root, 'photos'));
  });
  afterAll(() => removeDir(root));

  it.each([
    [['process', 'photos', '--frob'], /jobkit process: Unknown option '--frob'/],
    [['jobs', '--limit'], /jobkit jobs: Option '--limit <value>' argument missing/],
    [['process', 'no-such-folder'], /input not found: no-such-folder \(expected a folder of photos or a \.csv file\)/],
    [['process'], /missing input: give a folder of photos or a \.csv file/],
    [['process', 'photos', 'more'], /expected one input, got 2/],
    [['process', 'photos', '--theme', 'neon'], /unknown theme "neon"; known themes: default, studio, warm, slate/],
    [['process', 'photos', '--concurrency', '0'], /--concurrency must be between 1 and 64, got 0/],
    [['process', 'photos', '--concurrency', 'many'], /--concurrency must be an integer, got "many"/],
    [['process', 'photos', '--aspects', 'square'], /--aspects: "square" is not an aspect ratio/],
    [['cleanup', '--days=-1'], /--days must be a number between 0 and 36500, got "-1"/],
    [['cleanup', '--days', 'soon'], /--days must be a number between 0 and 36500, got "soon"/],
    [['stats', 'extra'], /Unexpected argument 'extra'. This command does not take positional arguments/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--frob'], /expected a command before --frob/],
    [['jobs'], /no jobkit database in .*jobkit-data/],
    [['process', 'photos', '--review', 'sometimes'], /--review must be one of doubtful, always, never, got "sometimes"/],
    [['process', 'photos', '--review-min-score', '2'], /--review-min-score must be a number between 0 and 1, got "2"/],
    [['review', 'frob'], /unknown review action "frob"; use `jobkit review` \(list\)/],
    [['review', 'list', 'abc'], /review list takes no job ids/],
    [['review', '--reason', 'x'], /--reason does not apply to `review list`/],
    [['review', 'approve'], /give one or more job ids to approve/],
    [['review', 'approve', 'abc', '--reason', 'x'], /--reason does not apply to `review approve`/],
    [['review', 'reject', 'abc'], /--reason is required: say why the cut is wrong/],
    [['review', 'reject', 'abc', '--reason', '  '], /--reason is required/],
    [['review', 'reject', 'abc', '--reason', 'bad', '--retry-with', 'magic'], /--retry-with must be "hosted", got "magic"/],
    [['review', 'reject', 'abc', '--reason', 'bad', '--queue-only'], /--queue-only applies to approve and to reject --retry-with hosted/],
    [['review', 'reject', 'abc', '--reason', 'bad', '--retry-with', 'hosted'], /--retry-with hosted needs a hosted segmenter: set REPLICATE_API_TOKEN/],
    [['review', 'approve', 'abc'], /no jobkit database in .*jobkit-data/],
  ])('%j → exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Run `jobkit( \w+)? --help` for usage\./);
    expect(r.stdout).toBe('');
  });

  it('usage errors create no data directory', () => {
    expect(existsSync(path.join(root, 'jobkit-data'))).toBe(false);
  });

  it('with --json a usage error is also one JSON document on stdout', async () => {
    const r = await cli(['jobs', '--json', '--bogus']);
    expect(r.code).toBe(2);
    expect(json(r)).toEqual({ error: { code: 'USAGE', message: "Unknown option '--bogus'" } });
  });

  it('no command prints the help on stderr with exit 2; --help prints it on stdout', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: jobkit <command>/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.name} `);
  });

  it('every command has --help (and `jobkit help <command>`)', async () => {
    for (const c of COMMANDS) {
      const r = await cli([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: jobkit ${c.name}`));
      expect(r.stdout).toContain('--data-dir');
      expect((await cli(['help', c.name])).stdout).toBe(r.stdout);
    }
    expect((await cli(['help', 'nope'])).code).toBe(2);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await fs.readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect((await cli(['--version'])).stdout).toBe(`${pkg.version}\n`);
    expect(json(await cli(['--version', '--json']))).toEqual({ version: pkg.version });
  });
});
