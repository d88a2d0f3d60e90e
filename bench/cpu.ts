/**
 * Where the local runtime's CPU goes: the V8 sampling profiler (node:inspector, in process) around a
 * run, self time grouped by what the code is (our pipeline, the local runtime, dynalite, PGlite, the
 * AWS SDK, zod, Node internals, GC).
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  hitCount?: number;
}

export interface CpuBreakdown {
  totalMs: number;
  byCategory: { category: string; ms: number; share: number }[];
  topFunctions: { name: string; ms: number }[];
}

function categoryOf(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? 'garbage collection' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'V8 / native (program)' : 'V8 / native builtins';
  if (url.startsWith('wasm://')) return 'PGlite (PostgreSQL in WASM)';
  if (url.includes('/node_modules/dynalite/') || /node_modules\/(levelup|memdown|abstract-leveldown|level-|subleveldown|memory-level|encoding-down|deferred-leveldown|lazy|async|big\.js|buffer-crc32)/.test(url)) return 'dynalite (DynamoDB emulator)';
  if (url.includes('@electric-sql/pglite')) return 'PGlite (PostgreSQL in WASM)';
  if (/node_modules\/(pg|pg-[a-z-]+|pgpass|postgres-[a-z-]+)\//.test(url)) return 'pg client';
  if (/node_modules\/(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|tslib|uuid)\//.test(url)) return 'AWS SDK (DynamoDB client)';
  if (url.includes('/node_modules/zod/')) return 'zod';
  if (url.includes('/node_modules/@middy/') || url.includes('/node_modules/@aws-lambda-powertools/')) return 'middy / Powertools';
  if (url.includes('/node_modules/')) return 'other packages';
  if (url.includes('/src/lib/local/')) return 'local runtime (bus, queues, clock, simulated RDS, scheduler)';
  if (url.includes('/src/')) return 'pipeline code (handlers, steps, state store, events)';
  if (url.startsWith('node:')) return 'Node internals (http, streams, timers)';
  return 'other';
}

export async function profile<T>(run: () => Promise<T>): Promise<{ result: T; breakdown: CpuBreakdown }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  let result: T;
  let p: Profile;
  try {
    result = await run();
  } finally {
    p = ((await session.post('Profiler.stop')) as unknown as { profile: Profile }).profile;
    session.disconnect();
  }
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byNode.get(id)!;
    const cat = categoryOf(n.callFrame.url, n.callFrame.functionName);
    if (cat === 'idle') continue;
    total += us;
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const short = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}`;
    fns.set(short, (fns.get(short) ?? 0) + us);
  }
  return {
    result: result!,
    breakdown: {
      totalMs: total / 1000,
      byCategory: [...cats.entries()].map(([category, us]) => ({ category, ms: us / 1000, share: us / total })).sort((a, b) => b.ms - a.ms),
      topFunctions: [...fns.entries()].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms).slice(0, 12),
    },
  };
}
