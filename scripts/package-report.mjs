#!/usr/bin/env node
// Prints what `serverless package` produced: per function, its zip, its bundle, and the AWS SDK
// clients and database driver the bundle contains (from esbuild's metafile, kept in .esbuild/).
// Usage: node scripts/package-report.mjs [--json]   (run after `serverless package`; npm run package does both)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const state = JSON.parse(readFileSync(join(root, '.serverless', 'serverless-state.json'), 'utf8'));
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

/** The packages an esbuild metafile output draws from, with their bytes in the bundle. */
export function bundleContents(metaPath) {
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const [, out] = Object.entries(meta.outputs).find(([file]) => file.endsWith('.mjs'));
  const packages = {};
  for (const [file, input] of Object.entries(out.inputs)) {
    const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(our code)';
    packages[pkg] = (packages[pkg] ?? 0) + input.bytesInOutput;
  }
  return { bytes: out.bytes, packages };
}

const rows = [];
for (const [key, fn] of Object.entries(state.service.functions)) {
  const zip = join(root, fn.package?.artifact ?? join('.serverless', `${key}.zip`));
  const entry = fn.handler.replace(/\.[^.]+$/, '');
  const metaPath = join(root, '.esbuild', '.build', `${entry}-meta.json`);
  const contents = existsSync(metaPath) ? bundleContents(metaPath) : undefined;
  const clients = contents
    ? Object.keys(contents.packages)
        .filter((p) => /^@aws-sdk\/(client-|lib-)/.test(p) || p === 'pg')
        .map((p) => p.replace('@aws-sdk/client-', '').replace('@aws-sdk/', ''))
        .sort()
    : [];
  rows.push({ function: fn.name, zip: statSync(zip).size, bundle: contents?.bytes ?? 0, clients });
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  const w = Math.max(...rows.map((r) => r.function.length));
  console.log(`${'function'.padEnd(w)}  ${'zip'.padStart(8)}  ${'bundle'.padStart(8)}  clients in the bundle`);
  for (const r of rows) console.log(`${r.function.padEnd(w)}  ${kb(r.zip).padStart(8)}  ${kb(r.bundle).padStart(8)}  ${r.clients.join(', ')}`);
  const total = rows.reduce((s, r) => s + r.zip, 0);
  console.log(`${rows.length} functions, ${kb(total)} zipped in total (bundles are minified ESM with source maps; AWS SDK v3 bundled, not taken from the runtime)`);
}
