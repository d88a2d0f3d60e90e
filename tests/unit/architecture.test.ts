import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

const sdkImport = /from\s+['"]@aws-sdk\/|import\(\s*['"]@aws-sdk\//;

describe('ports and adapters', () => {
  it('no handler and no step imports an AWS SDK package', () => {
    const offenders = [...files('src/handlers'), ...files('src/lib/steps'), 'src/lib/step-runner.ts', 'src/lib/safety.ts', 'src/lib/handler.ts'].filter((f) =>
      sdkImport.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('no Lambda handler imports the table of every step: each imports its own step module (tests/infra checks the bundles)', () => {
    const table = /from\s+['"]\.\.\/lib\/steps(?:\/index)?['"]/;
    const offenders = files('src/handlers').filter((f) => !f.endsWith('index.ts') && table.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('handlers stay thin: no handler file grows past a screen', () => {
    for (const f of files('src/handlers')) expect(readFileSync(f, 'utf8').split('\n').length, f).toBeLessThan(60);
  });
});
