/**
 * Saved refresh profiles (src/lib/profiles.ts): validated with the request schema when used; POST /restores
 * {"profile": NAME} and a schedule's {"profile": NAME} start the profile's request with the body's other
 * fields over it; an unknown or bad profile is one message naming the profile and the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRestoreRequestError, requestRestore } from '../../src/lib/api';
import { VirtualClock } from '../../src/lib/local/clock';
import { LocalProfileStore } from '../../src/lib/local/profiles';
import type { EventBus } from '../../src/lib/ports';
import { MAX_PROFILE_BYTES, ProfileError, loadProfile, parseProfile, resolveProfile } from '../../src/lib/profiles';

const examples = JSON.parse(readFileSync(join(import.meta.dirname, '../../examples/profiles.json'), 'utf8')) as { profiles: Record<string, { request: Record<string, unknown> }> };
const staging = examples.profiles['staging-orders']!;

async function storeWith(profiles: Record<string, unknown>): Promise<LocalProfileStore> {
  const store = new LocalProfileStore();
  for (const [name, value] of Object.entries(profiles)) await store.put(name, value);
  return store;
}

function capturingBus(): EventBus & { published: { type: string; detail: Record<string, unknown> }[] } {
  const published: { type: string; detail: Record<string, unknown> }[] = [];
  return {
    published,
    publish: async (events: { type: string; detail: Record<string, unknown> }[]) => {
      published.push(...events);
    },
  } as never;
}

describe('parseProfile', () => {
  it('accepts every shipped example, with its request parsed by the request schema', () => {
    for (const [name, value] of Object.entries(examples.profiles)) {
      const p = parseProfile(name, value);
      expect(p.parsed.profile).toBe(name);
      expect(p.parsed.targetClusterId).toBe(value.request.targetClusterId);
    }
    expect(parseProfile('staging-orders', staging).parsed.postRestore?.validations.map((v) => v.name)).toEqual(['no-real-emails', 'no-phone-numbers']);
  });

  it('names the profile and the field of a bad request (nested fields too)', () => {
    const bad = { ...staging, request: { ...staging.request, cluster: { port: 80 } } };
    expect(() => parseProfile('staging-orders', bad)).toThrow(/^profile staging-orders: request\.cluster\.port: expected a port from 1150 to 65535$/);
    expect(() => parseProfile('x', { request: { ...staging.request, targetClusterId: undefined } })).toThrow(/^profile x: request\.targetClusterId: /);
    expect(() => parseProfile('x', { ...staging, schedule: 'every night' })).toThrow(/^profile x: schedule: expected cron\(\.\.\.\) or rate\(\.\.\.\)/);
    expect(() => parseProfile('x', { ...staging, extra: 1 })).toThrow(/^profile x: .*extra/);
    expect(() => parseProfile('Bad_Name', staging)).toThrow(/^profile "Bad_Name": expected a profile name/);
  });

  it('refuses a profile longer than one standard Parameter Store parameter holds (4 KB)', () => {
    const description = 'x'.repeat(200);
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `check-${i}`, sql: `SELECT count(*) FROM public.customers WHERE id = ${i} AND email NOT LIKE '%@example.invalid'`, expect: 0 }));
    const big = { ...staging, description, request: { ...staging.request, postRestore: { ...(staging.request.postRestore as object), validations: many } } };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_PROFILE_BYTES);
    expect(() => parseProfile('big', big)).toThrow(/^profile big: \d+ bytes of JSON, expected at most 4096/);
  });
});

describe('resolveProfile and loadProfile', () => {
  it('puts the body\'s fields over the profile\'s request and keeps the profile name', async () => {
    const store = await storeWith({ 'staging-orders': staging });
    const r = (await resolveProfile(store, { profile: 'staging-orders', targetClusterId: 'aurora-dev', deleteExisting: false })) as Record<string, unknown>;
    expect(r).toMatchObject({ profile: 'staging-orders', targetClusterId: 'aurora-dev', deleteExisting: false, sourceClusterId: 'aurora-prod', postRestore: staging.request.postRestore });
    // A body without a profile is itself.
    expect(await resolveProfile(store, { targetClusterId: 'x' })).toEqual({ targetClusterId: 'x' });
  });

  it('an unknown profile is a not-found ProfileError naming it', async () => {
    const store = await storeWith({});
    const e = await loadProfile(store, 'qa-billing').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProfileError);
    expect((e as ProfileError).notFound).toBe(true);
    expect((e as Error).message).toBe('profile qa-billing: no saved profile of that name');
  });
});

describe('requestRestore with profiles (POST /restores, the schedules)', () => {
  const clock = () => new VirtualClock({ start: new Date('2026-11-24T02:00:00Z') });

  it('publishes the profile\'s request, with the body\'s fields over it', async () => {
    const bus = capturingBus();
    const profiles = await storeWith({ 'staging-orders': staging });
    await requestRestore({ bus, clock: clock(), profiles }, { profile: 'staging-orders', targetClusterId: 'aurora-dev' }, 'nightly-schedule');
    expect(bus.published).toHaveLength(1);
    const request = bus.published[0]!.detail.request as Record<string, unknown>;
    expect(request).toMatchObject({ profile: 'staging-orders', targetClusterId: 'aurora-dev', sourceClusterId: 'aurora-prod', requestedBy: 'nightly-schedule' });
    expect((request.users as unknown[]).length).toBe(2);
  });

  it('an unknown profile, or a body field that breaks it, is an invalid request naming the profile or the field; nothing is published', async () => {
    const bus = capturingBus();
    const profiles = await storeWith({ 'staging-orders': staging });
    await expect(requestRestore({ bus, clock: clock(), profiles }, { profile: 'nope' })).rejects.toThrow(new InvalidRestoreRequestError('profile nope: no saved profile of that name'));
    await expect(requestRestore({ bus, clock: clock(), profiles }, { profile: 'staging-orders', instanceClass: 'db.serverless' })).rejects.toThrow(/cluster\.serverless: expected a capacity range/);
    await expect(requestRestore({ bus, clock: clock() }, { profile: 'staging-orders' })).rejects.toThrow(/no profile store/);
    expect(bus.published).toEqual([]);
  });
});
