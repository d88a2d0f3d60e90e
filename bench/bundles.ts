/**
 * Handler bundles, as deployed: each src/handlers/<fn>.ts bundled with the esbuild API and the options of
 * serverless.yml's custom.esbuild (esm, node24, mainFields module/main, minified, the require() banner),
 * wired like `serverless package` wires it — the aurora-restore-wiring plugin of src/infra/esbuild-plugins.cjs
 * with the wiring table of src/infra/permissions.ts (bundleWiring), so a bundle carries only the SDK clients
 * of its function's ports. Its size, and its cold import time in a fresh Node process (median of the runs).
 *
 * A second variant leaves the AWS SDK to the Lambda runtime (external @aws-sdk/* and @smithy/*). The Lambda
 * Node.js runtimes carry it: "Your code runs in an environment that includes the AWS SDK for JavaScript, with
 * credentials from an AWS Identity and Access Management (IAM) role that you manage" (Lambda developer guide,
 * "Building Lambda functions with Node.js", whose runtime table lists nodejs24.x and nodejs22.x); since Node.js
 * 18 that SDK is version 3 (AWS Knowledge Center, "How do I integrate the latest version of the AWS SDK for
 * JavaScript into my Node.js Lambda function using layers?"), at a version Lambda picks, not ours. The deployed
 * choice stays the bundled SDK (serverless.yml: "the versions we test are the ones we run"); this variant only
 * shows what the other choice would weigh. Its cold import still loads the SDK — from this repository's
 * node_modules (the bundles are written under node_modules/.cache so Node resolves the externals there) — so
 * the time counts the SDK's loading, as the runtime's own copy would cost it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { FUNCTION_NAMES, bundleWiring } from '../src/infra/permissions';
import { median } from './stats';

/** One bundle variant of a handler. */
export interface BundleVariantFigure {
  bytes: number;
  gzipBytes: number;
  /** Median ms of `await import(bundle)` inside a fresh process. */
  importMs: number;
  /** Median ms of the whole fresh process (node start-up + import + exit). */
  processMs: number;
  /** Largest contributors to the minified output, by package (or `src` for our own code). */
  topInputs: { name: string; bytes: number }[];
}

/** A handler's bundle as deployed (the top-level fields), and with the AWS SDK left to the runtime. */
export interface BundleFigure extends BundleVariantFigure {
  handler: string;
  /** The adapters the bundle is wired with (src/infra/permissions.ts). */
  adapters: string[];
  /** The same bundle with @aws-sdk/* and @smithy/* external (taken from the Lambda runtime). */
  runtimeSdk: BundleVariantFigure;
}

/** The headline figures of both variants: largest bundle, slowest cold import (each a median of runs). */
export function bundleSummary(bundles: BundleFigure[]) {
  const max = (f: (b: BundleFigure) => number) => Math.max(0, ...bundles.map(f));
  return {
    deployed: { maxBytes: max((b) => b.bytes), maxImportMs: max((b) => b.importMs) },
    runtimeSdk: { maxBytes: max((b) => b.runtimeSdk.bytes), maxImportMs: max((b) => b.runtimeSdk.importMs) },
  };
}

/** node_modules/@scope/pkg/... → @scope/pkg; src/... → src. */
function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1] : path.startsWith('src/') ? 'src (our code)' : path;
}

/** serverless.yml custom.esbuild, as serverless-esbuild passes it to esbuild. */
const DEPLOYED_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};
/** What the Lambda runtime provides, left out of the second variant. */
export const RUNTIME_SDK_EXTERNALS = ['@aws-sdk/*', '@smithy/*'];

/** The esbuild plugins serverless-esbuild runs (src/infra/esbuild-plugins.cjs), over the same wiring table. */
function wiringPlugins(root: string): Plugin[] {
  const factory = createRequire(import.meta.url)(resolve(root, 'src/infra/esbuild-plugins.cjs')) as (sls: unknown) => Plugin[];
  return factory({ service: { custom: { wiring: bundleWiring() } }, serviceDir: root, config: { servicePath: root } });
}

async function measureVariant(options: { root: string; entry: string; outfile: string; runs: number; external: string[] }): Promise<BundleVariantFigure> {
  const result = await build({
    ...DEPLOYED_OPTIONS,
    absWorkingDir: options.root,
    entryPoints: [options.entry],
    outfile: options.outfile,
    external: options.external,
    plugins: wiringPlugins(options.root),
    metafile: true,
    logLevel: 'silent',
  });
  const importMs: number[] = [];
  const processMs: number[] = [];
  const script = `const t=performance.now();const m=await import(${JSON.stringify(pathToFileURL(options.outfile).href)});if(typeof m.handler!=='function')throw new Error('no handler export');process.stdout.write(String(performance.now()-t));`;
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
  const topInputs = [...byPackage.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 6);
  return { bytes: statSync(options.outfile).size, gzipBytes: gzipSync(readFileSync(options.outfile)).length, importMs: median(importMs), processMs: median(processMs), topInputs };
}

export async function measureBundles(options: { root: string; runs: number }): Promise<BundleFigure[]> {
  const root = resolve(options.root);
  // Under the repository's node_modules, so that the runtime-SDK variant's imports resolve there.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'aurora-restore-bundles-'));
  try {
    const wiring = bundleWiring();
    const figures: BundleFigure[] = [];
    for (const fn of [...FUNCTION_NAMES].sort()) {
      const entry = `src/handlers/${fn}.ts`;
      const common = { root, entry, runs: options.runs };
      const deployed = await measureVariant({ ...common, outfile: join(dir, `${fn}.mjs`), external: [] });
      const runtimeSdk = await measureVariant({ ...common, outfile: join(dir, `${fn}.runtime-sdk.mjs`), external: RUNTIME_SDK_EXTERNALS });
      figures.push({ handler: fn, adapters: wiring[entry] ?? [], ...deployed, runtimeSdk });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
