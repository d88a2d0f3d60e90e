import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The aurora-restore package folder: the nearest package.json named aurora-restore above this module (sources or a bundle of them). */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'aurora-restore') return dir;
  }
  return process.cwd();
}
