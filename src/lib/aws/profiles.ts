import { GetParameterCommand, SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import { isFault } from '../errors';
import type { ProfileStore } from '../ports';
import { sdkClientOptions } from './client-options';

/**
 * Saved refresh profiles in SSM Parameter Store: one String parameter `<path><name>` per profile, holding its
 * JSON (no secret: a profile names secrets, never their values). GetParameter reads one ("ParameterNotFound"
 * is no profile); GetParametersByPath with Recursive false lists them ("Retrieve information about one or more
 * parameters under a specified level in a hierarchy", at most 10 per page).
 */
export class AwsProfileStore implements ProfileStore {
  private readonly client: SSMClient;

  constructor(private readonly options: { path: string; client?: SSMClient; region?: string }) {
    this.client = options.client ?? new SSMClient(sdkClientOptions({ region: options.region }));
  }

  async get(name: string): Promise<unknown | undefined> {
    try {
      const out = await this.client.send(new GetParameterCommand({ Name: `${this.options.path}${name}` }));
      return parse(out.Parameter?.Value, name);
    } catch (err) {
      if (isFault(err, 'ParameterNotFound')) return undefined;
      throw err;
    }
  }

  async list(): Promise<{ name: string; value: unknown }[]> {
    const out: { name: string; value: unknown }[] = [];
    for await (const page of paginateGetParametersByPath({ client: this.client }, { Path: this.options.path, Recursive: false })) {
      for (const p of page.Parameters ?? []) {
        if (!p.Name) continue;
        const name = p.Name.slice(this.options.path.length);
        out.push({ name, value: parse(p.Value, name) });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** The stored JSON; a value that does not parse is returned as is for the caller's validation to name. */
function parse(value: string | undefined, name: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return { __invalid: `profile ${name}: the parameter's value is not JSON` };
  }
}
