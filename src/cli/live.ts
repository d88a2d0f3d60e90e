/** The live timeline of a local run: pipeline events, notifications and (with --verbose) re-checks and throttling retries. */
import type { EventBridgeEnvelope } from '../events/envelope';
import { describeEvent, formatEntry, timelineEntry, type TimelineEntry } from './timeline';

export function liveTimeline(write: (entry: TimelineEntry, line: string) => void, options: { verbose: boolean; startMs?: number; operationId?: () => string | undefined }) {
  let startMs = options.startMs;
  const emit = (atMs: number, actor: string, text: string) => {
    startMs ??= atMs;
    const entry = timelineEntry(startMs, atMs, actor, text);
    write(entry, formatEntry(entry));
  };
  return {
    onEvent: (env: EventBridgeEnvelope) => {
      const d = describeEvent(env, options.verbose);
      if (d) emit(Date.parse(env.time), d.actor, d.text);
    },
    onNotification: (m: { subject: string; publishedAt: string }) => emit(Date.parse(m.publishedAt), 'sns-notification', `✉ ${m.subject}`),
    onLog: options.verbose
      ? (line: { level: string; message: string; timestamp: string } & Record<string, unknown>) => {
          if (line.message === 'retrying after a retryable fault') emit(Date.parse(line.timestamp), String(line.step ?? 'rds'), `↻ ${String(line.code)}: retry #${String(line.attempt)}`);
          else if (line.level === 'WARN' || line.level === 'ERROR') emit(Date.parse(line.timestamp), String(line.step ?? 'pipeline'), `! ${line.message}${line.code ? ` (${String(line.code)})` : ''}`);
        }
      : undefined,
  };
}
