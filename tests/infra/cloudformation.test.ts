/**
 * The packaged templates (the pipeline stack and the forwarder stack) against independent references:
 * - cfn-lint (AWS's CloudFormation linter; skipped with a message where it is not installed — CI has it):
 *   no error, and no warning except the documented ones;
 * - the CloudFormation registry schemas of @aws-cdk/aws-service-spec: every resource type exists, every
 *   property exists for its type (nested property types too), every required property is present, and
 *   values have the schema's shape (list, object, scalar) where they are not intrinsic functions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_REGION, TARGET_REGION, cleanUp, packaged, type Packaged, type Template } from './fixture';

let p: Packaged;
beforeAll(async () => {
  p = await packaged();
}, 300_000);
afterAll(cleanUp);

// ------------------------------------------------------------------------------------------- cfn-lint

const cfnLintVersion = (() => {
  const r = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();
if (!cfnLintVersion) console.warn('tests/infra/cloudformation.test.ts: cfn-lint is not installed here: the cfn-lint checks are SKIPPED (CI runs them)');

/**
 * Warnings accepted, each with its reason. W3005 ("dependency already enforced by a GetAtt/Ref"): osls
 * writes `DependsOn` on every function (its role) and on the HTTP API routes (their integration), which
 * CloudFormation would infer anyway — redundant, harmless, and not ours to change.
 */
const ACCEPTED_WARNINGS: { rule: string; why: string; where: RegExp }[] = [
  { rule: 'W3005', why: 'osls-generated DependsOn on a function\'s role or a route\'s integration', where: /^Resources\/[A-Za-z]+(LambdaFunction|Route[A-Za-z]+)\/DependsOn/ },
];

interface Finding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
  Location: { Path: (string | number)[] };
}

function cfnLint(path: string, region: string): Finding[] {
  const r = spawnSync('cfn-lint', ['--format', 'json', '--regions', region, '--', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  // Exit codes are a bit mask (2 errors, 4 warnings, 8 informational); the JSON lists them all.
  return JSON.parse(r.stdout || '[]') as Finding[];
}

describe.skipIf(!cfnLintVersion)(`cfn-lint ${cfnLintVersion ?? '(not installed)'}`, () => {
  it('reports an error in a broken template (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-restore-cfn-lint-'));
    try {
      const path = join(dir, 'bad.json');
      // SQS: "VisibilityTimeout … An integer from 0 to 43,200 (12 hours)".
      writeFileSync(path, JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 86400 } } } }));
      expect(cfnLint(path, PIPELINE_REGION).filter((f) => f.Level === 'Error').map((f) => f.Location.Path.join('/'))).toEqual(['Resources/Q/Properties/VisibilityTimeout']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const cases = () => [
    ['the pipeline stack', p.pipelineTemplatePath, PIPELINE_REGION],
    ['the forwarder stack', p.forwarderTemplatePath, TARGET_REGION],
  ] as const;

  it('finds no error and only the documented warnings in either template', () => {
    for (const [what, path, region] of cases()) {
      const findings = cfnLint(path, region);
      const errors = findings.filter((f) => f.Level === 'Error');
      const warnings = findings.filter((f) => f.Level === 'Warning');
      const where = (f: Finding) => f.Location.Path.join('/');
      const unexplained = warnings.filter((w) => !ACCEPTED_WARNINGS.some((a) => a.rule === w.Rule.Id && a.where.test(where(w))));
      console.info(`cfn-lint ${what}: ${errors.length} errors, ${warnings.length} warnings (${warnings.length - unexplained.length} accepted: ${[...new Set(warnings.map((w) => w.Rule.Id))].join(', ') || 'none'})`);
      expect(errors.map((e) => `${e.Rule.Id} ${where(e)}: ${e.Message}`), what).toEqual([]);
      expect(unexplained.map((w) => `${w.Rule.Id} ${where(w)}: ${w.Message}`), what).toEqual([]);
    }
  });
});

// ------------------------------------------------------------------------------- registry schemas

const db = loadAwsServiceSpecSync();
type Prop = { required?: boolean; type: Type; previousTypes?: Type[] };
type Type = { type: string; reference?: unknown; element?: Type; types?: Type[] };

const isIntrinsic = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::[A-Za-z]+|Condition)$/.test(Object.keys(v)[0]!);

/** Checks `value` against a property type; returns the problems found, and counts what it checked. */
function checkValue(value: unknown, type: Type, path: string, counter: { props: number }): string[] {
  if (isIntrinsic(value)) return [];
  switch (type.type) {
    case 'json':
      return typeof value === 'object' && value !== null ? [] : [`${path}: expected JSON (an object), got ${JSON.stringify(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list`];
      return value.flatMap((v, i) => checkValue(v, type.element!, `${path}[${i}]`, counter));
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected a map`];
      return Object.entries(value).flatMap(([k, v]) => checkValue(v, type.element!, `${path}.${k}`, counter));
    case 'union':
      return type.types!.some((t) => checkValue(value, t, path, { props: 0 }).length === 0) ? [] : [`${path}: matches none of the types of the union`];
    case 'ref': {
      const def = db.get('typeDefinition', type.reference as never) as unknown as { name: string; properties: Record<string, Prop> };
      return checkObject(value, def.properties, path, counter);
    }
    case 'tag':
      return typeof value === 'object' && value !== null && 'Key' in value && 'Value' in value ? [] : [`${path}: expected a tag {Key, Value}`];
    case 'string':
    case 'date-time':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case 'integer':
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
    default:
      return [];
  }
}

function checkObject(value: unknown, properties: Record<string, Prop>, path: string, counter: { props: number }): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object`];
  const problems: string[] = [];
  for (const [name, prop] of Object.entries(properties)) if (prop.required && !(name in value)) problems.push(`${path}.${name}: required property missing`);
  for (const [name, v] of Object.entries(value)) {
    const prop = properties[name];
    counter.props++;
    if (!prop) {
      problems.push(`${path}.${name}: no such property`);
      continue;
    }
    const types = [prop.type, ...(prop.previousTypes ?? [])];
    const attempts = types.map((t) => checkValue(v, t, `${path}.${name}`, counter));
    if (attempts.every((a) => a.length > 0)) problems.push(...attempts[0]!);
  }
  return problems;
}

function checkTemplate(t: Template) {
  const counter = { props: 0 };
  const problems: string[] = [];
  const types = new Set<string>();
  for (const [id, r] of Object.entries(t.Resources)) {
    const found = db.lookup('resource', 'cloudFormationType', 'equals', r.Type);
    if (found.length !== 1) {
      problems.push(`${id}: resource type ${r.Type} does not exist`);
      continue;
    }
    types.add(r.Type);
    problems.push(...checkObject(r.Properties ?? {}, found.only().properties as Record<string, Prop>, `${id}(${r.Type})`, counter));
  }
  return { problems, resources: Object.keys(t.Resources).length, types: types.size, properties: counter.props };
}

describe('CloudFormation registry schemas (@aws-cdk/aws-service-spec)', () => {
  it('knows every resource type and property of both templates, with every required property present', () => {
    for (const [what, t] of [
      ['the pipeline stack', p.pipeline],
      ['the forwarder stack', p.forwarder],
    ] as const) {
      const r = checkTemplate(t);
      console.info(`schemas ${what}: ${r.resources} resources of ${r.types} types, ${r.properties} property values checked, ${r.problems.length} problems`);
      expect(r.problems, what).toEqual([]);
      expect(r.resources, what).toBeGreaterThan(5);
    }
  });

  it('would catch a misspelled property, a missing required one and a wrong shape', () => {
    const bad: Template = {
      Resources: {
        Q: { Type: 'AWS::SQS::Queue', Properties: { VisibiltyTimeout: 30 } },
        R: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Id: 'x', Arn: 'a', RetryPolicy: { MaximumRetryAttempts: 'many' } }] } },
        S: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', Target: { Arn: 'a', RoleArn: 'b' } } },
        X: { Type: 'AWS::Nope::Thing', Properties: {} },
      },
    };
    expect(checkTemplate(bad).problems).toEqual([
      'Q(AWS::SQS::Queue).VisibiltyTimeout: no such property',
      'R(AWS::Events::Rule).Targets[0].RetryPolicy.MaximumRetryAttempts: expected a number, got "many"',
      'S(AWS::Scheduler::Schedule).FlexibleTimeWindow: required property missing',
      'X: resource type AWS::Nope::Thing does not exist',
    ]);
  });
});
