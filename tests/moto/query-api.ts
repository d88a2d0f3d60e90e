/**
 * The AWS query protocol (form-encoded POST, XML answer) over fetch, for the few moto calls that have no
 * SDK client among the project's dependencies: CloudFormation, IAM, STS. moto routes a request by the
 * service and region of the Authorization header's credential scope and does not verify the signature.
 */
const VERSIONS: Record<string, string> = { cloudformation: '2010-05-15', iam: '2010-05-08', sts: '2011-06-15' };

export class QueryApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export async function queryApi(endpoint: string, service: keyof typeof VERSIONS | string, region: string, action: string, params: Record<string, string> = {}): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: VERSIONS[service] ?? '', ...params });
  const r = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  if (!r.ok) {
    const code = xmlValue(text, 'Code') ?? `HTTP${r.status}`;
    throw new QueryApiError(code, `${service} ${action}: ${code}: ${xmlValue(text, 'Message') ?? text.slice(0, 500)}`);
  }
  return text;
}

/** The text of the first `<tag>` in `xml`, unescaped. */
export function xmlValue(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? unescapeXml(m[1]) : undefined;
}

/** Every `<member>` block of `xml` that contains `<tag>`. */
export function xmlMembers(xml: string): string[] {
  return [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => m[1]);
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&');
}

/** The AWS JSON protocol over fetch (`X-Amz-Target`), for KMS, whose SDK client is not a project dependency. */
export async function jsonApi(endpoint: string, service: string, region: string, target: string, input: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!r.ok) throw new QueryApiError(String(json.__type ?? `HTTP${r.status}`), `${service} ${target}: ${text.slice(0, 500)}`);
  return json;
}
