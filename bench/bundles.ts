/**
 * Handler bundles: each src/handlers/<step>.ts bundled with the esbuild API (platform node, esm,
 * node20, minified) into a temp dir, its size, and its cold import time in a fresh Node process
 * (median of several runs). Independent of the serverless packaging.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { median } from './stats';

export interface BundleFigure {
  handler: string;
  bytes: number;
  gzipBytes: number;
  /** Median ms of `await import(bundle)` inside a fresh process. */
  importMs: number;
  /** Median ms of the whole fresh process (node start-up + import + exit). */
  processMs: number;
  /** Largest contributors to the minified output, by package (or `src` for our own code). */
  topInputs: { name: string; bytes: number }[];
}

/** node_modules/@scope/pkg/... → @scope/pkg; src/... → src. */
function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1] : path.startsWith('src/') ? 'src (our code)' : path;
}

// CommonJS dependencies inside an ESM bundle call require() for Node built-ins.
const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export async function measureBundles(options: { root: string; runs: number }): Promise<BundleFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-restore-bundles-'));
  try {
    const handlersDir = resolve(options.root, 'src/handlers');
    const entries = readdirSync(handlersDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
    const figures: BundleFigure[] = [];
    for (const file of entries) {
      const name = file.replace(/\.ts$/, '');
      const outfile = join(dir, `${name}.mjs`);
      const result = await build({
        metafile: true,
        entryPoints: [join(handlersDir, file)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minify: true,
        logLevel: 'silent',
        banner: { js: BANNER },
      });
      const importMs: number[] = [];
      const processMs: number[] = [];
      const script = `const t=performance.now();const m=await import(${JSON.stringify(pathToFileURL(outfile).href)});if(typeof m.handler!=='function')throw new Error('no handler export');process.stdout.write(String(performance.now()-t));`;
      for (let r = 0; r < options.runs; r++) {
        const start = performance.now();
        const out = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
        processMs.push(performance.now() - start);
        importMs.push(Number(out));
      }
      const byPackage = new Map<string, number>();
      for (const output of Object.values(result.metafile.outputs)) {
        for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
      }
      const topInputs = [...byPackage.entries()].map(([n, bytes]) => ({ name: n, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 6);
      figures.push({ handler: name, bytes: statSync(outfile).size, gzipBytes: gzipSync(readFileSync(outfile)).length, importMs: median(importMs), processMs: median(processMs), topInputs });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
