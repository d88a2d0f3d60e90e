/**
 * The local notification channel (SNS on AWS): each notification is appended as one JSON line to
 * `<dataDir>/outbox.jsonl` (or kept in memory). A repeat with the same deduplicationId is dropped and
 * answers with the first message's id, like an SNS FIFO topic.
 *
 * @example
 * const outbox = new LocalOutbox({ dataDir: '.aurora-restore', onPublish: (m) => console.log(m.subject) });
 * await outbox.publish({ subject, message, attributes: {}, deduplicationId: `${operationId}#succeeded` });
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Notification, Notifier } from '../ports';

export interface OutboxMessage extends Notification {
  messageId: string;
  publishedAt: string;
}

export interface LocalOutboxOptions {
  /** Folder holding outbox.jsonl; in memory when absent. */
  dataDir?: string;
  /** Called once per new (not duplicate) message, e.g. for the CLI to print it. */
  onPublish?: (message: OutboxMessage) => void;
  /** Time source for `publishedAt` (the local runtime's virtual clock); wall clock by default. */
  clock?: Pick<Clock, 'now'>;
}

export class LocalOutbox implements Notifier {
  private readonly file?: string;
  private messages: OutboxMessage[] = [];
  private byDeduplicationId = new Map<string, OutboxMessage>();
  private loaded?: Promise<void>;

  constructor(private readonly options: LocalOutboxOptions = {}) {
    this.file = options.dataDir ? join(options.dataDir, 'outbox.jsonl') : undefined;
  }

  async publish(n: Notification): Promise<{ messageId: string }> {
    if (!n || typeof n.deduplicationId !== 'string' || n.deduplicationId.length === 0) {
      throw new Error('notification.deduplicationId: expected a non-empty string');
    }
    await this.load();
    const first = this.byDeduplicationId.get(n.deduplicationId);
    if (first) return { messageId: first.messageId };
    const message: OutboxMessage = {
      messageId: randomUUID(),
      publishedAt: (this.options.clock?.now() ?? new Date()).toISOString(),
      subject: n.subject,
      message: n.message,
      attributes: { ...n.attributes },
      deduplicationId: n.deduplicationId,
    };
    // Claimed synchronously (no await since the check), so a concurrent repeat sees it.
    this.byDeduplicationId.set(message.deduplicationId, message);
    this.messages.push(message);
    if (this.file) {
      try {
        await mkdir(join(this.file, '..'), { recursive: true });
        await appendFile(this.file, `${JSON.stringify(message)}\n`, 'utf8');
      } catch (err) {
        this.byDeduplicationId.delete(message.deduplicationId);
        this.messages = this.messages.filter((m) => m !== message);
        throw err;
      }
    }
    this.options.onPublish?.(message);
    return { messageId: message.messageId };
  }

  /** Every message published (here or by an earlier invocation on the same data folder), oldest first. */
  async list(): Promise<OutboxMessage[]> {
    await this.load();
    return this.messages.map((m) => ({ ...m, attributes: { ...m.attributes } }));
  }

  private load(): Promise<void> {
    this.loaded ??= this.readFile();
    return this.loaded;
  }

  private async readFile(): Promise<void> {
    if (!this.file) return;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // A crash mid-append can leave a partial last line (no newline): cut it off so the next append starts clean.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length < text.length) await truncate(this.file, Buffer.byteLength(complete, 'utf8'));
    complete.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let m: OutboxMessage;
      try {
        m = JSON.parse(line) as OutboxMessage;
      } catch {
        throw new Error(`${this.file}:${i + 1}: expected one JSON notification per line`);
      }
      if (!this.byDeduplicationId.has(m.deduplicationId)) {
        this.byDeduplicationId.set(m.deduplicationId, m);
        this.messages.push(m);
      }
    });
  }
}
