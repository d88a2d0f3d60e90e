/**
 * EventBridge event-pattern matching (content filtering), as the bus evaluates rules:
 * exact values (string, number, boolean, null), `prefix`, `suffix`, `anything-but` (values,
 * `prefix`, `suffix`, `equals-ignore-case`, `wildcard`), `numeric`, `exists`, `equals-ignore-case`,
 * `wildcard`, `cidr` (IPv4) and `$or`; an array in the event matches when any element matches.
 *
 * Hand-written: there is no maintained JavaScript port of aws/event-ruler, and the local bus must
 * give the same answers as EventBridge for the patterns of src/events/subscriptions.ts.
 *
 * `exists` looks at leaf values only: `{"exists": false}` matches an absent field and also a field
 * whose value is an object (or an empty array); `{"exists": true}` needs a leaf value (null counts).
 */

type PatternObject = Record<string, unknown>;
type Matcher = string | number | boolean | null | Record<string, unknown>;

const MATCHER_KEYS = ['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr'] as const;
const LOWER_OPS = ['>', '>='];
const UPPER_OPS = ['<', '<='];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const describe = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));

// ---------------------------------------------------------------- validation

/** Throws an Error naming the path and what was expected when `pattern` is not a valid event pattern. */
export function validatePattern(pattern: unknown): asserts pattern is PatternObject {
  if (!isPlainObject(pattern)) throw new Error(`pattern: expected a JSON object, got ${describe(pattern)}`);
  validateObject(pattern, 'pattern');
}

function validateObject(obj: Record<string, unknown>, path: string): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new Error(`${path}: expected at least one field to match, got an empty object`);
  for (const key of keys) {
    const value = obj[key];
    const at = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new Error(`${at}: expected an array of at least two patterns`);
      value.forEach((sub, i) => {
        if (!isPlainObject(sub)) throw new Error(`${at}[${i}]: expected a pattern object, got ${describe(sub)}`);
        validateObject(sub, `${at}[${i}]`);
      });
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`${at}: expected a non-empty array of values or matchers`);
      value.forEach((m, i) => validateMatcher(m, `${at}[${i}]`));
    } else if (isPlainObject(value)) {
      validateObject(value, at);
    } else {
      throw new Error(`${at}: expected an array of values or matchers (e.g. ["value"]) or a nested object, got ${describe(value)}`);
    }
  }
}

function stringOrIgnoreCase(v: unknown, at: string): void {
  if (typeof v === 'string') return;
  if (isPlainObject(v) && Object.keys(v).length === 1 && typeof v['equals-ignore-case'] === 'string') return;
  throw new Error(`${at}: expected a string or {"equals-ignore-case": string}, got ${describe(v)}`);
}

function stringOrStrings(v: unknown, at: string): void {
  if (typeof v === 'string') return;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return;
  throw new Error(`${at}: expected a string or a non-empty array of strings, got ${describe(v)}`);
}

function validateWildcard(v: unknown, at: string): void {
  stringOrStrings(v, at);
  for (const s of typeof v === 'string' ? [v] : (v as string[])) {
    if (s.includes('**')) throw new Error(`${at}: consecutive wildcard characters are not allowed, got ${describe(s)}`);
  }
}

function validateMatcher(m: unknown, at: string): void {
  if (m === null || typeof m === 'string' || typeof m === 'boolean') return;
  if (typeof m === 'number') {
    if (!Number.isFinite(m)) throw new Error(`${at}: expected a finite number, got ${m}`);
    return;
  }
  if (!isPlainObject(m)) throw new Error(`${at}: expected a value (string, number, boolean, null) or a matcher object, got ${describe(m)}`);
  const keys = Object.keys(m);
  if (keys.length !== 1 || !(MATCHER_KEYS as readonly string[]).includes(keys[0])) {
    throw new Error(`${at}: expected exactly one of ${MATCHER_KEYS.join(', ')}, got ${describe(keys)}`);
  }
  const op = keys[0];
  const v = m[op];
  const opAt = `${at}.${op}`;
  switch (op) {
    case 'prefix':
    case 'suffix':
      return stringOrIgnoreCase(v, opAt);
    case 'equals-ignore-case':
      if (typeof v !== 'string') throw new Error(`${opAt}: expected a string, got ${describe(v)}`);
      return;
    case 'wildcard':
      if (typeof v !== 'string') throw new Error(`${opAt}: expected a string, got ${describe(v)}`);
      return validateWildcard(v, opAt);
    case 'exists':
      if (typeof v !== 'boolean') throw new Error(`${opAt}: expected true or false, got ${describe(v)}`);
      return;
    case 'numeric':
      return validateNumeric(v, opAt);
    case 'cidr':
      if (typeof v !== 'string' || !parseCidr(v)) throw new Error(`${opAt}: expected an IPv4 CIDR block like "10.0.0.0/24", got ${describe(v)}`);
      return;
    case 'anything-but':
      return validateAnythingBut(v, opAt);
  }
}

function validateNumeric(v: unknown, at: string): void {
  const expected = `expected ["=", n], or one or two bounds like [">", 0, "<=", 5]`;
  if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0 || v.length > 4) throw new Error(`${at}: ${expected}, got ${describe(v)}`);
  let lower = false;
  let upper = false;
  for (let i = 0; i < v.length; i += 2) {
    const [op, n] = [v[i], v[i + 1]];
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${at}[${i + 1}]: expected a finite number, got ${describe(n)}`);
    if (op === '=') {
      if (v.length !== 2) throw new Error(`${at}: "=" cannot be combined with another bound`);
    } else if (LOWER_OPS.includes(op)) {
      if (lower) throw new Error(`${at}: expected at most one lower bound (">" or ">=")`);
      lower = true;
    } else if (UPPER_OPS.includes(op)) {
      if (upper) throw new Error(`${at}: expected at most one upper bound ("<" or "<=")`);
      upper = true;
    } else {
      throw new Error(`${at}[${i}]: expected one of "=", "<", "<=", ">", ">=", got ${describe(op)}`);
    }
  }
}

function validateAnythingBut(v: unknown, at: string): void {
  if (typeof v === 'string') return;
  if (typeof v === 'number' && Number.isFinite(v)) return;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) return;
    throw new Error(`${at}: expected a non-empty array of strings or numbers, got ${describe(v)}`);
  }
  if (isPlainObject(v) && Object.keys(v).length === 1) {
    const [key] = Object.keys(v);
    const inner = v[key];
    if (key === 'prefix' || key === 'suffix') {
      if (typeof inner === 'string') return;
      throw new Error(`${at}.${key}: expected a string, got ${describe(inner)}`);
    }
    if (key === 'equals-ignore-case') return stringOrStrings(inner, `${at}.${key}`);
    if (key === 'wildcard') return validateWildcard(inner, `${at}.${key}`);
  }
  throw new Error(`${at}: expected a value, a list of values, or one of {prefix}, {suffix}, {equals-ignore-case}, {wildcard}, got ${describe(v)}`);
}

// ---------------------------------------------------------------- matching

/** True when `event` matches `pattern` with EventBridge semantics. The pattern is assumed valid (see validatePattern). */
export function matchesPattern(pattern: object, event: object): boolean {
  return matchObject(pattern as PatternObject, event);
}

function matchObject(pattern: PatternObject, node: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as PatternObject[]).some((sub) => matchObject(sub, node))) return false;
      continue;
    }
    const value = isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    const ok = Array.isArray(expected) ? matchLeaf(expected as Matcher[], value) : matchNested(expected as PatternObject, value);
    if (!ok) return false;
  }
  return true;
}

/** A nested pattern against an object, or against any object element of an array. */
function matchNested(pattern: PatternObject, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = value.flat(Infinity).filter(isPlainObject);
    if (objects.length > 0) return objects.some((o) => matchObject(pattern, o));
    return matchObject(pattern, undefined);
  }
  return matchObject(pattern, isPlainObject(value) ? value : undefined);
}

/** The leaf values at a field: none when absent or an object, every scalar element of an array. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flat(Infinity).filter((v) => !isPlainObject(v));
  if (isPlainObject(value)) return [];
  return [value];
}

function matchLeaf(matchers: Matcher[], value: unknown): boolean {
  const leaves = leafValues(value);
  return matchers.some((m) => {
    if (isPlainObject(m) && 'exists' in m) return m.exists ? leaves.length > 0 : leaves.length === 0;
    return leaves.some((v) => matchValue(m, v));
  });
}

const lower = (s: string) => s.toLowerCase();

function matchValue(m: Matcher, v: unknown): boolean {
  if (!isPlainObject(m)) return m === v;
  const [op] = Object.keys(m);
  const arg = m[op];
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && (typeof arg === 'string' ? v.startsWith(arg) : lower(v).startsWith(lower(ignoreCaseArg(arg))));
    case 'suffix':
      return typeof v === 'string' && (typeof arg === 'string' ? v.endsWith(arg) : lower(v).endsWith(lower(ignoreCaseArg(arg))));
    case 'equals-ignore-case':
      return typeof v === 'string' && lower(v) === lower(arg as string);
    case 'wildcard':
      return typeof v === 'string' && wildcardRegExp(arg as string).test(v);
    case 'numeric':
      return typeof v === 'number' && matchNumeric(arg as (string | number)[], v);
    case 'cidr':
      return typeof v === 'string' && inCidr(arg as string, v);
    case 'anything-but':
      return matchAnythingBut(arg, v);
    default:
      return false;
  }
}

function ignoreCaseArg(arg: unknown): string {
  return (arg as { 'equals-ignore-case': string })['equals-ignore-case'];
}

function matchAnythingBut(arg: unknown, v: unknown): boolean {
  if (!isPlainObject(arg)) {
    const excluded = Array.isArray(arg) ? arg : [arg];
    return !excluded.some((x) => x === v);
  }
  if (typeof v !== 'string') return false;
  const [key] = Object.keys(arg);
  const inner = arg[key];
  const list = (x: unknown) => (typeof x === 'string' ? [x] : (x as string[]));
  switch (key) {
    case 'prefix':
      return !v.startsWith(inner as string);
    case 'suffix':
      return !v.endsWith(inner as string);
    case 'equals-ignore-case':
      return !list(inner).some((s) => lower(s) === lower(v));
    case 'wildcard':
      return !list(inner).some((s) => wildcardRegExp(s).test(v));
    default:
      return false;
  }
}

function matchNumeric(spec: (string | number)[], v: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const n = spec[i + 1] as number;
    switch (spec[i]) {
      case '=': if (!(v === n)) return false; break;
      case '>': if (!(v > n)) return false; break;
      case '>=': if (!(v >= n)) return false; break;
      case '<': if (!(v < n)) return false; break;
      case '<=': if (!(v <= n)) return false; break;
      default: return false;
    }
  }
  return true;
}

const wildcardCache = new Map<string, RegExp>();

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let re = wildcardCache.get(wildcard);
  if (re) return re;
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i];
    if (c === '\\' && (wildcard[i + 1] === '*' || wildcard[i + 1] === '\\')) {
      source += `\\${wildcard[++i]}`;
    } else if (c === '*') {
      source += '.*';
    } else {
      source += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  re = new RegExp(`^${source}$`, 's');
  wildcardCache.set(wildcard, re);
  return re;
}

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [ip, bitsText, extra] = cidr.split('/');
  if (extra !== undefined || bitsText === undefined || !/^\d{1,2}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const base = parseIpv4(ip);
  if (base === undefined || bits > 32) return undefined;
  return { base, bits };
}

function inCidr(cidr: string, value: string): boolean {
  const block = parseCidr(cidr);
  const ip = parseIpv4(value);
  if (!block || ip === undefined) return false;
  const size = 2 ** (32 - block.bits);
  return Math.floor(ip / size) === Math.floor(block.base / size);
}
