import { isSensitiveKey, REDACTED } from '../redact';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger, Metrics } from '../ports';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/** Our Logger port, plus a child logger that stamps every line with the operation id. */
export interface PipelineLogger extends Logger {
  /** A logger whose every line carries `operationId` (a child: safe when records of one batch run concurrently). */
  withOperation(operationId: string): PipelineLogger;
}

/** Our Metrics port, plus the end-of-invocation publication of the buffered EMF metrics. */
export interface PipelineMetrics extends Metrics {
  /** Writes the buffered metrics as CloudWatch EMF lines; call once at the end of an invocation. */
  flush(): void;
}

/**
 * Powertools' `jsonReplacerFn` runs on every key/value pair of a log item before serialization, at
 * any depth, so a password nested in `extra` is replaced too. Messages are not inspected: secrets
 * never go in message text (team rule), only in structured fields, which this covers.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  return key !== '' && isSensitiveKey(key) && value !== undefined && value !== null ? REDACTED : value;
}

class PowertoolsPortLogger implements PipelineLogger {
  constructor(private readonly logger: PowertoolsLogger) {}
  debug(message: string, extra?: Record<string, unknown>): void {
    extra ? this.logger.debug(message, extra) : this.logger.debug(message);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    extra ? this.logger.info(message, extra) : this.logger.info(message);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    extra ? this.logger.warn(message, extra) : this.logger.warn(message);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    extra ? this.logger.error(message, extra) : this.logger.error(message);
  }
  withOperation(operationId: string): PipelineLogger {
    return new PowertoolsPortLogger(this.logger.createChild({ persistentKeys: { operationId } }));
  }
}

/** Structured JSON logs (Powertools for AWS Lambda) with password/secret/token fields redacted. */
export function createLogger(options: { serviceName: string; logLevel?: LogLevel }): PipelineLogger {
  return new PowertoolsPortLogger(
    new PowertoolsLogger({ serviceName: options.serviceName, logLevel: options.logLevel ?? 'INFO', jsonReplacerFn: redactingReplacer }),
  );
}

/**
 * CloudWatch metrics as EMF lines (Powertools for AWS Lambda). EMF gives all metrics of one line the
 * same dimensions, so metrics are buffered per dimension set (one Powertools instance each, with the
 * service dimension) and written together by `flush()`.
 */
class PowertoolsPortMetrics implements PipelineMetrics {
  private readonly byDimensions = new Map<string, PowertoolsMetrics>();

  constructor(private readonly options: { namespace: string; serviceName: string }) {}

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    this.instance(dimensions).addMetric(name, MetricUnit.Count, value);
  }

  seconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.instance(dimensions).addMetric(name, MetricUnit.Seconds, value);
  }

  flush(): void {
    for (const m of this.byDimensions.values()) if (m.hasStoredMetrics()) m.publishStoredMetrics();
  }

  private instance(dimensions: Record<string, string>): PowertoolsMetrics {
    const entries = Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify(entries);
    let m = this.byDimensions.get(key);
    if (!m) {
      m = new PowertoolsMetrics({
        namespace: this.options.namespace,
        serviceName: this.options.serviceName,
        defaultDimensions: Object.fromEntries(entries),
      });
      this.byDimensions.set(key, m);
    }
    return m;
  }
}

export function createMetrics(options: { namespace: string; serviceName: string }): PipelineMetrics {
  return new PowertoolsPortMetrics(options);
}
