#!/usr/bin/env node
// Runs the TypeScript CLI, so `npx aurora-restore` works right after `npm ci`. The CLI is bundled with
// esbuild (a dev dependency of the project) into node_modules/.cache/aurora-restore/ the first time and
// whenever a source file changes, so each command starts as plain JavaScript (no per-run TypeScript
// loading: read-only commands answer in well under a second). Without esbuild it runs through tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Locally the SDK only talks to dynalite; its Node version notice is noise on a laptop's timeline.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'src/cli/main.ts');
const cache = join(root, 'node_modules/.cache/aurora-restore');

/** The newest modification time of the sources the CLI is built from. */
function sourcesStamp() {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  let count = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        count += 1;
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  walk(join(root, 'src'));
  return `${newest}:${count}`;
}

/**
 * The bundle of the current sources: `cli-<stamp hash>/main.mjs`, built once into a temporary folder and
 * renamed into place, so concurrent commands never load a half-written bundle. Bundles of older sources
 * are removed after a day.
 */
async function bundled() {
  if (process.env.AURORA_RESTORE_NO_BUNDLE === '1') return undefined;
  try {
    const name = `cli-${createHash('sha256').update(sourcesStamp()).digest('hex').slice(0, 12)}`;
    const outdir = join(cache, name);
    const out = join(outdir, 'main.mjs');
    if (existsSync(out)) return out;
    const esbuild = await import('esbuild');
    const temp = `${outdir}.tmp-${process.pid}`;
    mkdirSync(temp, { recursive: true });
    await esbuild.build({
      entryPoints: { main: entry },
      outdir: temp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    try {
      renameSync(temp, outdir);
    } catch {
      rmSync(temp, { recursive: true, force: true }); // another command built the same bundle first
    }
    for (const old of readdirSync(cache)) {
      const p = join(cache, old);
      if (old !== name && old.startsWith('cli-') && Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
    }
    return out;
  } catch {
    return undefined; // no esbuild (or a build error): run the sources through tsx instead
  }
}

const out = await bundled();
if (out) await import(pathToFileURL(out).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
