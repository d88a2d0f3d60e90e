/**
 * Saved refresh profiles: named restore requests (`staging-orders`, `qa-billing`, …), each optionally with its
 * own recurring schedule. Stored where the seeds keep configuration — SSM Parameter Store on AWS (one String
 * parameter per profile under PROFILES_PATH, deployed from the stage's PROFILES), a profiles file locally — and
 * validated when saved (package time, `profiles save`) and when used. `aurora-restore start --profile NAME`,
 * `POST /restores {"profile": NAME}` and the profile's schedule all start the same request: the profile's, with
 * any other field of the body over it.
 */
import { z } from 'zod';
import { describeIssues, profileName, restoreRequest, type RestoreRequest } from '../schemas/restore-request';
import type { ProfileStore } from './ports';

export const refreshProfile = z.strictObject({
  description: z.string().max(256, 'expected at most 256 characters').optional(),
  /** EventBridge Scheduler expression: the profile gets its own schedule (one per profile). */
  schedule: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, 'expected cron(...) or rate(...), e.g. cron(0 2 * * ? *)')
    .optional(),
  timezone: z.string().min(1).default('UTC'),
  /** The restore request (the POST /restores body), validated with the same schema. */
  request: z.record(z.string(), z.unknown()),
});
export type RefreshProfileDoc = z.output<typeof refreshProfile>;

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
  const p = refreshProfile.safeParse(value);
  if (!p.success) throw new ProfileError(`profile ${name}: ${describeIssues(p.error)}`);
  const r = restoreRequest.safeParse({ ...p.data.request, profile: name });
  if (!r.success) throw new ProfileError(`profile ${name}: ${describeIssues(r.error, 'request')}`);
  return { ...p.data, name, parsed: r.data };
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
  const value = await store.get(profile);
  if (value === undefined) throw new ProfileError(`profile: no saved profile named ${profile}`, true);
  const saved = parseProfile(profile, value);
  return { ...saved.request, ...overrides, profile };
}
