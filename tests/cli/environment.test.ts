/**
 * Environment problems (item 13) and the manners of the CLI (item 12): one clear line naming the flag,
 * the documented exit code, never a stack trace or a hang.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SCENARIO } from '../../src/lib/local/scenario';
import { runCli, runCliProcess } from './run-cli';

afterEach(() => vi.unstubAllEnvs());
const fresh = () => mkdtempSync(join(tmpdir(), 'aurora-cli-env-'));
const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('--data-dir that cannot hold local state', () => {
  it('a file: exit 2, naming --data-dir', async () => {
    const file = join(fresh(), 'file');
    writeFileSync(file, 'x');
    for (const cmd of [['start'], ['list'], ['status', 'restore-20261124-020000-abcdef']]) {
      const r = await runCli([...cmd, '--data-dir', file]);
      expect(r.code, cmd[0]).toBe(2);
      expect(r.stderr).toMatch(/^error: --data-dir: .*file is a file; expected a folder/);
      oneLine(r.stderr);
    }
  });

  it('under a file (a path that cannot be created): exit 2, naming --data-dir', async () => {
    const file = join(fresh(), 'file');
    writeFileSync(file, 'x');
    const r = await runCli(['start', '--data-dir', join(file, 'sub')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --data-dir: .*file\/sub: a part of the path is a file/);
    oneLine(r.stderr);
  });

  it('under /proc: refused at once (it used to spin at 100 % CPU)', async () => {
    const r = await runCliProcess(['start', '--data-dir', '/proc/aurora-restore-test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --data-dir: \/proc\/aurora-restore-test is on the virtual file system \/proc/);
    oneLine(r.stderr);
  }, 30_000);

  it.skipIf(process.getuid?.() === 0)('unwritable: exit 2, naming --data-dir', async () => {
    const dir = join(fresh(), 'ro');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    const r = await runCli(['start', '--data-dir', join(dir, 'd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --data-dir: .* cannot write there/);
  });

  it('a read-only command on a folder that does not exist creates nothing', async () => {
    const dir = join(fresh(), 'nothing-here');
    const r = await runCli(['list', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no operations yet/);
    expect(existsSync(dir)).toBe(false);
    const s = await runCli(['status', 'restore-20261124-020000-abcdef', '--data-dir', dir]);
    expect(s.code).toBe(3);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('configuration and requests', () => {
  it('LOG_LEVEL=info is accepted (any case); a bad LOG_LEVEL is one line naming it', async () => {
    vi.stubEnv('LOG_LEVEL', 'info');
    const ok = await runCli(['start', '--dry-run', '--data-dir', join(fresh(), 'd')]);
    expect(ok.code, ok.stderr).toBe(0);
    vi.stubEnv('LOG_LEVEL', 'loud');
    const bad = await runCli(['start', '--dry-run', '--data-dir', join(fresh(), 'd')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: environment: LOG_LEVEL: expected DEBUG, INFO, WARN, ERROR or SILENT/);
    oneLine(bad.stderr);
  });

  it('a region missing from the scenario is named as such (not as a KMS problem)', async () => {
    const r = await runCli(['start', '--target-region', 'eu-central-1', '--data-dir', join(fresh(), 'd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --target-region: eu-central-1 is not a region of the scenario \(us-east-1, us-west-2\)/);
    expect(r.stderr).not.toMatch(/KMS/i);
  });

  it('a value that came from the scenario is named as the scenario field', async () => {
    const dir = fresh();
    const world = join(dir, 'w.json');
    writeFileSync(world, JSON.stringify({ ...DEFAULT_SCENARIO, request: { ...DEFAULT_SCENARIO.request, targetRegion: 'eu-west-1' } }));
    const r = await runCli(['start', '--scenario', world, '--data-dir', join(dir, 'd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: scenario request\.targetRegion \(or --target-region\): eu-west-1 is not a region of the scenario/);
  });
});

describe('replay', () => {
  it.each([
    ['--from', '2026-02-30T00:00:00Z'],
    ['--from', '1'],
    ['--from', '2026-11-24'],
    ['--to', 'Tue, 24 Nov 2026 03:00:00 GMT'],
  ])('%s %s: ISO-8601 timestamps only, real dates only (exit 2)', async (flag, value) => {
    const argv = { '--from': '2026-11-24T02:00:00Z', '--to': '2026-11-24T03:00:00Z', [flag]: value };
    const r = await runCli(['replay', ...Object.entries(argv).flat(), '--data-dir', join(fresh(), 'd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${flag}: expected an ISO-8601 time`);
  });

  it('--operation with an unknown id exits 3', async () => {
    const data = join(fresh(), 'd');
    const r = await runCli(['replay', '--from', '2026-11-24T02:00:00Z', '--to', '2026-11-24T03:00:00Z', '--operation', 'restore-20261124-020000-nosuch', '--data-dir', data]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: <operation-id>: no operation restore-20261124-020000-nosuch/);
  });
});

describe('running from a subfolder', () => {
  it('uses the project\'s data folder (the nearest .aurora-restore above), and says where it reads', async () => {
    const project = fresh();
    writeFileSync(join(project, 'package.json'), '{}');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    const started = await runCliProcess(['start', '--dry-run'], { cwd: project });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(join(project, '.aurora-restore'));
    const fromSub = await runCliProcess(['list'], { cwd: join(project, 'src', 'deep') });
    expect(fromSub.code).toBe(0);
    expect(fromSub.stdout).toContain(`no operations yet in data folder ${join(project, '.aurora-restore')}`);
    expect(readdirSync(join(project, 'src', 'deep'))).toEqual([]);
  }, 60_000);
});
