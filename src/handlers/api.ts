import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RestoreApi } from '../lib/api';
import { busAdapter, profilesAdapter } from '../lib/aws/adapters';
import { composeAwsDependencies } from '../lib/aws/compose';
import type { Dependencies } from '../lib/dependencies';
import { storesFor } from '../lib/step-runner';

/** Builds the API over the given dependencies (the AWS ones in Lambda: the bus and DynamoDB only). */
export function createHandler(provider: () => Dependencies) {
  let api: RestoreApi | undefined;
  const build = () => {
    const deps = provider();
    const { store } = storesFor(deps);
    return new RestoreApi({ bus: deps.bus, clock: deps.clock, profiles: deps.profiles, readState: (id) => store.get(id) });
  };
  /** HTTP API (payload 2.0, IAM auth): POST /restores, GET /restores/{id}. */
  return async (event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
    api ??= build();
    const [method = '', route = ''] = event.routeKey.split(' ');
    return api.handle({
      method,
      route,
      pathParameters: event.pathParameters,
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      caller: event.requestContext.authorizer?.iam?.userArn,
    });
  };
}

let deps: Dependencies | undefined;
export const handler = createHandler(() => (deps ??= composeAwsDependencies(process.env, { bus: busAdapter, profiles: profilesAdapter })));
