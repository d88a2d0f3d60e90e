/**
 * Test clients never reach AWS: a fixed region and dummy credentials, so building a client needs no
 * real credentials or network, and `wireClient` requests go to a capturing handler instead.
 */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTTESTTESTTEST', secretAccessKey: 'test-secret-access-key' };

export function useDummyAwsEnv(): void {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_PROFILE;
}

export interface CapturedRequest {
  hostname: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A request handler that records the serialized HTTP request and answers with `respond` (default:
 * 200 with an empty XML body). Lets a test see what the SDK puts on the wire (middleware included)
 * without a network.
 */
export function capturingHandler(respond: (req: CapturedRequest) => { statusCode: number; body: string; headers?: Record<string, string> } = () => ({ statusCode: 200, body: '<r/>' })) {
  const requests: CapturedRequest[] = [];
  const handler = {
    async handle(request: { hostname: string; headers: Record<string, string>; body?: unknown }) {
      const captured = { hostname: request.hostname, headers: request.headers, body: String(request.body ?? '') };
      requests.push(captured);
      const r = respond(captured);
      const { Readable } = await import('node:stream');
      return {
        response: {
          statusCode: r.statusCode,
          reason: '',
          headers: { 'content-type': 'text/xml', ...(r.headers ?? {}) },
          body: Readable.from([Buffer.from(r.body)]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  return { handler, requests };
}
