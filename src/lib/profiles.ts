/**
 * Saved refresh profiles: named restore requests (`staging-orders`, `qa-billing`, …), each optionally with its
 * own recurring schedule. Stored where the seeds keep configuration — SSM Parameter Store on AWS (one String
 * parameter per profile under PROFILES_PATH, deployed from the stage's PROFILES), a profiles file locally — and
 * validated when saved (package time, `profiles save`) and when used. `aurora-restore start --profile NAME`,
 * `POST /restores {"profile": NAME}` and the profile's schedule all start the same request: the profile's, with
 * any other field of the body over it.
 */
import * as z from '../schemas/zod';
import { describeIssues, profileName, restoreRequest, type RestoreRequest } from '../schemas/restore-request';
import type { ProfileStore } from './ports';

export const refreshProfile = z.strictObject({
  description: z.optional(z.string().check(z.maxLength(256, 'expected at most 256 characters'))),
  /** EventBridge Scheduler expression: the profile gets its own schedule (one per profile). */
  schedule: z.optional(z.string().check(z.regex(/^(cron|rate)\(.+\)$/, 'expected cron(...) or rate(...), e.g. cron(0 2 * * ? *)'))),
  timezone: z._default(z.string().check(z.minLength(1)), 'UTC'),
  /** The restore request (the POST /restores body), validated with the same schema. */
  request: z.record(z.string(), z.unknown()),
});
export type RefreshProfileDoc = z.output<typeof refreshProfile>;

/**
 * SSM Parameter Store: "Standard parameter value: 4 KB" (AWS Systems Manager quotas; advanced parameters
 * hold 8 KB). A profile is one standard String parameter, so its JSON may not be longer.
 */
export const MAX_PROFILE_BYTES = 4096;

/** A profile that is missing, or not valid: the message names the profile and the field. */
export class ProfileError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Validates a stored profile and the request it holds; returns it with the request parsed. */
export function parseProfile(name: string, value: unknown): RefreshProfileDoc & { name: string; parsed: RestoreRequest } {
  const n = profileName.safeParse(name);
  if (!n.success) throw new ProfileError(`profile ${JSON.stringify(name)}: ${n.error.issues[0]?.message}`);
  if (value && typeof value === 'object' && '__invalid' in value) throw new ProfileError(String((value as { __invalid: unknown }).__invalid));
  const p = refreshProfile.safeParse(value);
  if (!p.success) throw new ProfileError(`profile ${name}: ${describeIssues(p.error)}`);
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > MAX_PROFILE_BYTES) throw new ProfileError(`profile ${name}: ${size} bytes of JSON, expected at most ${MAX_PROFILE_BYTES} (an SSM standard parameter's limit)`);
  const r = restoreRequest.safeParse({ ...p.data.request, profile: name });
  if (!r.success) throw new ProfileError(`profile ${name}: ${describeIssues(r.error, 'request')}`);
  return { ...p.data, name, parsed: r.data };
}

/** A saved profile, validated: a ProfileError (notFound) when the store has none of that name. */
export async function loadProfile(store: ProfileStore, name: string): Promise<RefreshProfileDoc & { name: string; parsed: RestoreRequest }> {
  const n = profileName.safeParse(name);
  if (!n.success) throw new ProfileError(`profile ${JSON.stringify(name)}: ${n.error.issues[0]?.message}`);
  const value = await store.get(name);
  if (value === undefined) throw new ProfileError(`profile ${name}: no saved profile of that name`, true);
  return parseProfile(name, value);
}

/**
 * The request a body stands for: itself, or — when it names a `profile` — that profile's request with the
 * body's other fields over it (validated by the caller with the request schema).
 */
export async function resolveProfile(store: ProfileStore | undefined, body: unknown): Promise<unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const { profile, ...overrides } = body as Record<string, unknown>;
  if (profile === undefined) return body;
  if (typeof profile !== 'string') throw new ProfileError('profile: expected the name of a saved profile');
  if (!store) throw new ProfileError(`profile: no profile store here to read ${profile} from`);
  const saved = await loadProfile(store, profile);
  return { ...saved.request, ...overrides, profile };
}
