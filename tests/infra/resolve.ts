/**
 * Resolves the intrinsic functions of a packaged template (Ref, Fn::GetAtt, Fn::Sub, Fn::Join) into the
 * concrete strings CloudFormation would produce for one account and region, so its IAM policies can be
 * checked against IAM's own data and evaluated by an IAM simulator. Physical names follow each resource
 * type's documented Ref / GetAtt return values; names CloudFormation generates (roles without RoleName)
 * get a stable made-up suffix.
 */
import type { Template } from './fixture';

export interface Where {
  account: string;
  region: string;
  partition?: string;
  stackName: string;
}

export function resolver(t: Template, w: Where) {
  const partition = w.partition ?? 'aws';
  const prop = (id: string, name: string) => t.Resources[id]?.Properties?.[name] as unknown;
  const pseudo: Record<string, string> = {
    'AWS::AccountId': w.account,
    'AWS::Region': w.region,
    'AWS::Partition': partition,
    'AWS::StackName': w.stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };

  function ref(id: string): string {
    if (id in pseudo) return pseudo[id]!;
    const r = t.Resources[id];
    if (!r) throw new Error(`Ref ${id}: no such resource`);
    switch (r.Type) {
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${w.region}:${w.account}:${resolve(prop(id, 'TopicName'))}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${w.region}.amazonaws.com/${w.account}/${resolve(prop(id, 'QueueName'))}`;
      case 'AWS::Events::EventBus':
        return resolve(prop(id, 'Name')) as string;
      case 'AWS::Scheduler::ScheduleGroup':
        return resolve(prop(id, 'Name')) as string;
      case 'AWS::IAM::Role':
        return roleName(id);
      default:
        return `${w.stackName}-${id}`;
    }
  }

  const roleName = (id: string) => (prop(id, 'RoleName') as string | undefined) ?? `${w.stackName}-${id}-ABCDEF123456`.slice(0, 64);

  function getAtt(id: string, attr: string): string {
    const r = t.Resources[id];
    if (!r) throw new Error(`Fn::GetAtt ${id}.${attr}: no such resource`);
    if (attr === 'QueueName') return resolve(prop(id, 'QueueName')) as string;
    if (attr !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attr}: not resolved by this test helper`);
    const name = (p: string) => resolve(prop(id, p)) as string;
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return `arn:${partition}:sqs:${w.region}:${w.account}:${name('QueueName')}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${partition}:dynamodb:${w.region}:${w.account}:table/${name('TableName')}`;
      case 'AWS::Events::EventBus':
        return `arn:${partition}:events:${w.region}:${w.account}:event-bus/${name('Name')}`;
      case 'AWS::Events::Archive':
        return `arn:${partition}:events:${w.region}:${w.account}:archive/${name('ArchiveName')}`;
      case 'AWS::Events::Rule': {
        const bus = prop(id, 'EventBusName');
        return `arn:${partition}:events:${w.region}:${w.account}:rule/${bus ? `${resolve(bus)}/` : ''}${name('Name')}`;
      }
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${w.account}:role/${roleName(id)}`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${w.region}:${w.account}:function:${name('FunctionName')}`;
      case 'AWS::SNS::Topic':
        return ref(id);
      default:
        throw new Error(`Fn::GetAtt ${id}.Arn: type ${r.Type} not resolved by this test helper`);
    }
  }

  function resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      if (k === 'Ref') return ref(arg as string);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return getAtt(id, attr);
      }
      if (k === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts) as unknown[]).join(sep);
      }
      if (k === 'Fn::Sub') {
        const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in vars) return String(resolve(vars[name]));
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [id, attr] = name.split('.') as [string, string];
            return getAtt(id, attr);
          }
          return ref(name);
        });
      }
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  }

  return { resolve, ref, getAtt, roleName };
}
