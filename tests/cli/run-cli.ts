import { vi } from 'vitest';

/** Runs the aurora-restore CLI in-process (its `main`, not a child process) and captures what it writes. */
process.env.AURORA_RESTORE_NO_MAIN = '1';
const cli = import('../../src/cli/main');

export async function runCli(argv: string[], options: { onStdout?: (text: string) => void } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await cli;
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    options.onStdout?.(String(s));
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    process.exitCode = undefined;
    return { code: await main(argv), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

/** Runs bin/aurora-restore.mjs as its own process (for concurrency and signals); `onLine` sees each stdout line as it comes. */
export function runCliProcess(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; onLine?: (line: string, child: import('node:child_process').ChildProcess) => void } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return import('node:child_process').then(
    ({ spawn }) =>
      new Promise((resolvePromise, reject) => {
        const bin = new URL('../../bin/aurora-restore.mjs', import.meta.url).pathname;
        const child = spawn(process.execPath, [bin, ...argv], { cwd: options.cwd, env: { ...process.env, AURORA_RESTORE_NO_MAIN: '0', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let pending = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          pending += d.toString();
          let i: number;
          while ((i = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, i);
            pending = pending.slice(i + 1);
            options.onLine?.(line, child);
          }
        });
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('error', reject);
        child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
      }),
  );
}
