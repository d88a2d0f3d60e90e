import { PUBLISHERS, type EventName } from './catalogue';
import { RDS_SOURCE } from './rds';
import { SUBSCRIPTIONS, type EventPattern } from './subscriptions';

const node = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_');

/** A Mermaid flowchart of the pipeline, generated from the subscription table and the publishers. */
export function mermaidGraph(): string {
  const lines = ['flowchart TD'];
  const declared = new Set<string>();
  const declare = (name: string, shape: 'step' | 'external' | 'rds') => {
    if (declared.has(name)) return;
    declared.add(name);
    const id = node(name);
    lines.push(shape === 'step' ? `  ${id}["${name}"]` : shape === 'rds' ? `  ${id}[("${name}")]` : `  ${id}(["${name}"])`);
  };
  const steps = new Set(SUBSCRIPTIONS.map((s) => s.step as string));
  for (const s of SUBSCRIPTIONS) declare(s.step, 'step');
  for (const sub of SUBSCRIPTIONS) {
    for (const { pattern } of sub.patterns) {
      const source = (pattern.source as string[])[0];
      const types = pattern['detail-type'] as string[];
      if (source === RDS_SOURCE) {
        declare('Aurora (RDS events)', 'rds');
        const ids = ((pattern.detail as EventPattern).EventID as string[]).join(', ');
        lines.push(`  ${node('Aurora (RDS events)')} -. "${ids}" .-> ${node(sub.step)}`);
        continue;
      }
      for (const type of types as EventName[]) {
        const check = ((pattern.detail as EventPattern | undefined)?.check as string[] | undefined)?.[0];
        const label = check ? `${type} (${check})` : type;
        for (const publisher of PUBLISHERS[type]) {
          if (type === 'RestoreFailed' && publisher !== 'watchdog' && publisher !== 'dead-letter') continue;
          declare(publisher, steps.has(publisher) ? 'step' : 'external');
          const arrow = publisher === 'scheduler' ? '-.->' : '-->';
          lines.push(`  ${node(publisher)} ${arrow}|"${label}"| ${node(sub.step)}`);
        }
      }
    }
  }
  lines.push(`  any_step(["every step"]) -->|"RestoreFailed"| ${node('sns-notification')}`);
  lines.push(`  DLQs(["dead-letter queues"]) --> ${node('dead-letter')}`);
  return lines.join('\n');
}
