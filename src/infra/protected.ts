/**
 * PROTECTED_CLUSTER_PATTERN (a case-insensitive regular expression the code's safety rules test cluster
 * names against) as IAM ARN wildcards, for the explicit Deny of every role. IAM cannot evaluate a regular
 * expression, only `*` and `?` wildcards (ArnLike), so only patterns made of literal alternatives are
 * translated: `prod` → `*prod*`, `prod|live` → `*prod*`, `*live*`, `^prod` → `prod*`, `prod$` → `*prod`,
 * `^(prod|live)$` → `prod`, `live`. Anything else is refused at package time, naming the parameter, rather
 * than deployed with a Deny that protects less than the code believes.
 */

export class UntranslatablePatternError extends Error {
  constructor(pattern: string, why: string) {
    super(
      `PROTECTED_CLUSTER_PATTERN: cannot be turned into IAM ARN wildcards (${why}): ${JSON.stringify(pattern)}; ` +
        'use literal alternatives of letters, digits and hyphens, each optionally anchored with ^ and $, e.g. prod|^live',
    );
    this.name = 'UntranslatablePatternError';
  }
}

export interface ProtectedNames {
  /** Wildcards of the protected cluster identifiers (lowercase, as RDS stores identifiers). */
  clusters: string[];
  /**
   * Wildcards of instance identifiers: the cluster wildcards, plus `<name>-*` for end-anchored ones, since a
   * cluster's instances are named `<cluster>-…` (an unanchored `*prod*` already covers them).
   */
  instances: string[];
}

// An RDS identifier has letters, digits and hyphens ("must contain from 1 to 63 letters, numbers, or
// hyphens"); `\-` is an escaped hyphen.
const LITERAL = /^(?:[A-Za-z0-9]|-|\\-)+$/;

export function protectedNames(pattern: string): ProtectedNames {
  let body = pattern;
  let groupStart = false;
  let groupEnd = false;
  const group = /^(\^?)\((.*)\)(\$?)$/.exec(body);
  if (group) {
    groupStart = group[1] === '^';
    groupEnd = group[3] === '$';
    body = group[2]!;
    if (/[()]/.test(body)) throw new UntranslatablePatternError(pattern, 'nested groups');
  }
  const clusters: string[] = [];
  const instances: string[] = [];
  for (const raw of body.split('|')) {
    let alt = raw;
    const start = groupStart || alt.startsWith('^');
    if (alt.startsWith('^')) alt = alt.slice(1);
    const end = groupEnd || alt.endsWith('$');
    if (alt.endsWith('$')) alt = alt.slice(0, -1);
    if (alt === '') throw new UntranslatablePatternError(pattern, 'an empty alternative matches every name');
    if (!LITERAL.test(alt)) throw new UntranslatablePatternError(pattern, `"${raw}" is not a literal name part`);
    const literal = alt.replace(/\\-/g, '-').toLowerCase();
    const glob = `${start ? '' : '*'}${literal}${end ? '' : '*'}`;
    clusters.push(glob);
    instances.push(glob);
    if (end) instances.push(`${glob}-*`);
  }
  return { clusters: [...new Set(clusters)], instances: [...new Set(instances)] };
}

/** Whether an IAM wildcard (`*`, `?`) matches a name, as ArnLike compares the name part of an ARN. */
export function globMatches(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}
