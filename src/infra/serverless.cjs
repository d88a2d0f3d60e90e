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
  const params = (await resolveConfigurationProperty(['params'])) || {};
  const merged = { ...(params.default || {}), ...(params[stage] || {}), ...cliParams(options.param) };
  const key = JSON.stringify([service, stage, merged]);
  if (!cache.has(key)) {
    const { buildInfrastructure } = tsx.require('./template/index.ts', __filename);
    cache.set(key, buildInfrastructure({ service, stage, params: merged }));
  }
  return cache.get(key);
};
