import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, eventSchemas } from '../../src/events/catalogue';
import { parseEventBody } from '../../src/events/envelope';
import { namesFor } from '../../src/infra/template';
import { restoreRequest } from '../../src/schemas/restore-request';

/** The `aws events put-events` entries of docs/deploy.md, as a reader copies them. */
function documentedEntries(): { EventBusName: string; Source: string; DetailType: string; Detail: string }[] {
  const doc = readFileSync(resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const block = doc.split('<!-- put-events-entry')[1]?.match(/```json\n([\s\S]*?)```/)?.[1];
  expect(block, 'docs/deploy.md: the json block after <!-- put-events-entry -->').toBeDefined();
  return JSON.parse(block!);
}

describe('docs/deploy.md', () => {
  it('its put-events entry is a valid RestoreRequested for the dev stage bus', () => {
    const entries = documentedEntries();
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({ EventBusName: namesFor('dev').bus, Source: EVENT_SOURCE, DetailType: 'RestoreRequested' });
    const detail = eventSchemas.RestoreRequested.parse(JSON.parse(entry!.Detail));
    expect(restoreRequest.safeParse(detail.request).success).toBe(true);
    // As the snapshot-check step receives it from its queue.
    const parsed = parseEventBody(
      JSON.stringify({
        version: '0',
        id: 'e-1',
        'detail-type': entry!.DetailType,
        source: entry!.Source,
        account: '123456789012',
        time: detail.occurredAt,
        region: 'us-east-1',
        resources: [],
        detail: JSON.parse(entry!.Detail),
      }),
    );
    expect(parsed.kind === 'domain' && parsed.event.type).toBe('RestoreRequested');
  });

  it('a broken entry would fail this test (the schema names the field)', () => {
    const [entry] = documentedEntries();
    const detail = JSON.parse(entry!.Detail);
    delete detail.request.targetClusterId;
    expect(() => eventSchemas.RestoreRequested.parse(detail)).toThrow(/targetClusterId/);
  });
});
