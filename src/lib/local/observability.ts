import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, Logger, Metrics } from '../ports';
import { redactSecrets } from '../redact';

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 } as const;
/**
 * The local runtime's logger: JSON lines (like Powertools on Lambda) appended to the data folder's
 * pipeline.log, stamped with virtual time. Hand-written because on a laptop stdout belongs to the
 * CLI's timeline; on AWS the handlers use Powertools Logger (src/lib/aws/observability.ts).
 */
export class FileLogger implements Logger {
  private readonly threshold: number;
  constructor(
    private readonly options: {
      file?: string;
      level: keyof typeof LEVELS;
      clock: Pick<Clock, 'now'>;
      /** Also sees each line written (and every WARN/ERROR line, whatever the level): the CLI's `--verbose`. */
      onLine?: (line: { level: string; message: string; timestamp: string } & Record<string, unknown>) => void;
    },
  ) {
    this.threshold = LEVELS[options.level];
    if (options.file) mkdirSync(dirname(options.file), { recursive: true });
  }
  private write(level: Exclude<keyof typeof LEVELS, 'SILENT'>, message: string, extra?: Record<string, unknown>) {
    const written = Boolean(this.options.file) && LEVELS[level] >= this.threshold;
    const seen = Boolean(this.options.onLine) && (LEVELS[level] >= LEVELS.WARN || LEVELS[level] >= this.threshold);
    if (!written && !seen) return;
    const line = { level, message, timestamp: this.options.clock.now().toISOString(), ...(redactSecrets(extra ?? {}) as object) };
    if (written) appendFileSync(this.options.file!, `${JSON.stringify(line)}\n`);
    if (seen) this.options.onLine!(line);
  }
  debug(m: string, e?: Record<string, unknown>) { this.write('DEBUG', m, e); }
  info(m: string, e?: Record<string, unknown>) { this.write('INFO', m, e); }
  warn(m: string, e?: Record<string, unknown>) { this.write('WARN', m, e); }
  error(m: string, e?: Record<string, unknown>) { this.write('ERROR', m, e); }
}

/** Metrics kept in memory (benchmarks and chaos reports read them). */
export class MemoryMetrics implements Metrics {
  readonly counts: Record<string, number> = {};
  readonly durations: Record<string, number[]> = {};
  count(name: string, value = 1, dimensions?: Record<string, string>) {
    const key = dimensions?.step ? `${name}.${dimensions.step}` : name;
    this.counts[key] = (this.counts[key] ?? 0) + value;
    if (key !== name) this.counts[name] = (this.counts[name] ?? 0) + value;
  }
  seconds(name: string, value: number, dimensions?: Record<string, string>) {
    const key = dimensions?.step ? `${name}.${dimensions.step}` : name;
    (this.durations[key] ??= []).push(value);
  }
}
