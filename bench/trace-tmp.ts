import { LocalPipeline } from '../src/lib/local/pipeline';
import { benchScenario, requestFor } from './scenario';
const n = Number(process.argv[2] ?? 20);
const scenario = benchScenario({ pairs: n, rdsEventLatencyMaxSeconds: 60 });
const p = await LocalPipeline.open({ scenario, seed: 1, rateLimit: { perSecond: 10, burst: 20 }, env: { RDS_CALLS_PER_SECOND: '10' } });
const t0 = p.clock.nowMsValue();
const ids: string[] = [];
for (let i = 0; i < n; i++) ids.push(await p.startRestore(p.request(requestFor(i))));
await p.runUntilTerminal(ids);
for (const id of [ids[0], ids[n - 1]]) {
  const trail = await p.audit.trail(id);
  for (const a of trail) console.log(((Date.parse(a.timestamp) - t0) / 1000).toFixed(1), a.step, a.event_type, JSON.stringify(a.details ?? {}).slice(0, 120));
  console.log('---');
}
const copies = p.rds.history.filter((h) => h.kind === 'snapshot' && h.region === 'us-west-2');
for (const h of copies.slice(0, 4)) console.log('rds', ((h.atMs - t0) / 1000).toFixed(1), h.id, h.from, h.to);
await p.close();
