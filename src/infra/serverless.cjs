// The bridge between serverless.yml and src/infra/template/: osls resolves
// `${file(./src/infra/serverless.cjs):functions}` (and :resources, :wiring) by calling this function,
// which builds the generated part of the template from the TypeScript tables (compiled on the fly by tsx).
// CommonJS because osls `require`s variable files and the package is "type": "module".
'use strict';

const tsx = require('tsx/cjs/api');

const cache = new Map();

function cliParams(param) {
  const out = {};
  for (const p of [].concat(param || [])) {
    const at = String(p).indexOf('=');
    if (at > 0) out[String(p).slice(0, at)] = String(p).slice(at + 1);
  }
  return out;
}

module.exports = async ({ options, resolveConfigurationProperty }) => {
  const stage = options.stage || (await resolveConfigurationProperty(['provider', 'stage'])) || 'dev';
  const service = await resolveConfigurationProperty(['service']);
  const region = options.region || (await resolveConfigurationProperty(['provider', 'region'])) || 'us-east-1';
  const params = (await resolveConfigurationProperty(['params'])) || {};
  const merged = { ...(params.default || {}), ...(params[stage] || {}), ...cliParams(options.param) };
  const key = JSON.stringify([service, stage, region, merged]);
  if (!cache.has(key)) {
    const { buildInfrastructure } = tsx.require('./template/index.ts', __filename);
    try {
      cache.set(key, buildInfrastructure({ service, stage, region, params: merged }));
    } catch (error) {
      // A bad stage parameter is the operator's input, not a bug: osls prints `error.stack`, so make it
      // the message alone (one line per problem, naming the parameter) instead of a stack trace.
      if (error && error.name === 'StageParamsError') error.stack = error.message;
      throw error;
    }
  }
  return cache.get(key);
};
