import { vi } from 'vitest';

/** Runs the aurora-restore CLI in-process (its `main`, not a child process) and captures what it writes. */
process.env.AURORA_RESTORE_NO_MAIN = '1';
const cli = import('../../src/cli/main');

export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await cli;
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
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
