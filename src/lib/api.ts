/**
 * The HTTP API (API Gateway HTTP API, IAM auth) and the recurring restore, over the ports: validate a
 * request with the one schema the CLI uses, put `RestoreRequested` on the pipeline bus with a fresh
 * operation id, and read an operation's state. src/handlers/api.ts and nightly.ts only adapt events.
 */
import { domainEvent } from '../events/catalogue';
import { newOperationId, operationId as operationIdSchema } from '../schemas/identifiers';
import type { OperationState } from '../schemas/operation-state';
import { describeIssues, restoreRequest } from '../schemas/restore-request';
import type { Clock, EventBus, ProfileStore } from './ports';
import { ProfileError, resolveProfile } from './profiles';

/** A request that is not a valid restore request; the message names each bad field. */
export class InvalidRestoreRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRestoreRequestError';
  }
}

export interface RestoreRequesterOptions {
  bus: EventBus;
  clock: Clock;
  /** Saved refresh profiles: a body naming a `profile` starts that profile's request (other fields over it). */
  profiles?: ProfileStore;
  /** Random source of the operation id's suffix (tests pass a seeded one). */
  random?: () => number;
}

/**
 * Validates `body` (already parsed JSON) as a restore request and puts `RestoreRequested` on the bus.
 * `requestedBy` fills the request's field when the body does not name one (the IAM caller, the schedule).
 */
export async function requestRestore(
  options: RestoreRequesterOptions,
  body: unknown,
  requestedBy?: string,
): Promise<{ operationId: string }> {
  let resolved: unknown;
  try {
    resolved = await resolveProfile(options.profiles, body);
  } catch (e) {
    if (e instanceof ProfileError) throw new InvalidRestoreRequestError(e.message);
    throw e;
  }
  const withCaller =
    requestedBy && resolved && typeof resolved === 'object' && !Array.isArray(resolved) && (resolved as Record<string, unknown>).requestedBy === undefined
      ? { ...(resolved as Record<string, unknown>), requestedBy: requestedBy.slice(0, 128) }
      : resolved;
  const parsed = restoreRequest.safeParse(withCaller);
  if (!parsed.success) throw new InvalidRestoreRequestError(describeIssues(parsed.error));
  const now = options.clock.now();
  const operationId = newOperationId(now, options.random);
  await options.bus.publish([domainEvent('RestoreRequested', operationId, now, { request: parsed.data })]);
  return { operationId };
}

/** The HTTP request as the API needs it (from an API Gateway HTTP API payload 2.0 event). */
export interface ApiRequest {
  method: string;
  /** The route key's path, e.g. `/restores` or `/restores/{id}`. */
  route: string;
  pathParameters?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
  /** The IAM principal that signed the request. */
  caller?: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface RestoreApiOptions extends RestoreRequesterOptions {
  /** Reads an operation's state (StateStore.get). */
  readState: (operationId: string) => Promise<OperationState | undefined>;
}

const json = (statusCode: number, value: unknown): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});
const problem = (statusCode: number, error: string, message: string) => json(statusCode, { error, message });

/**
 * `POST /restores` → 202 `{ operationId }` (400 naming the bad field); `GET /restores/{id}` → 200 the
 * operation's state (404 when unknown, 400 when the id is not an operation id — lock and index items
 * share the table and are never served).
 */
export class RestoreApi {
  constructor(private readonly options: RestoreApiOptions) {}

  async handle(request: ApiRequest): Promise<ApiResponse> {
    const key = `${request.method.toUpperCase()} ${request.route}`;
    if (key === 'POST /restores') return this.start(request);
    if (key === 'GET /restores/{id}') return this.status(request.pathParameters?.id);
    return problem(404, 'NotFound', `no route ${key}`);
  }

  private async start(request: ApiRequest): Promise<ApiResponse> {
    let body: unknown;
    try {
      const text = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : (request.body ?? '');
      body = JSON.parse(text);
    } catch {
      return problem(400, 'InvalidRequest', 'body: expected a JSON restore request');
    }
    try {
      return json(202, await requestRestore(this.options, body, request.caller));
    } catch (e) {
      if (e instanceof InvalidRestoreRequestError) return problem(400, 'InvalidRequest', e.message);
      throw e;
    }
  }

  private async status(id: string | undefined): Promise<ApiResponse> {
    const parsed = operationIdSchema.safeParse(id);
    if (!parsed.success) return problem(400, 'InvalidRequest', `id: ${parsed.error.issues[0]?.message ?? 'expected an operation id'}`);
    const state = await this.options.readState(parsed.data);
    if (!state) return problem(404, 'NotFound', `operation ${parsed.data} not found`);
    return json(200, state);
  }
}
