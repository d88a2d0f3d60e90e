// The bridge between serverless.forwarder.yml and src/infra/template/forwarder.ts (see serverless.cjs):
// osls resolves `${file(./src/infra/serverless-forwarder.cjs):forwarder}` by calling this function.
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
  const region = options.region || (await resolveConfigurationProperty(['provider', 'region']));
  const params = (await resolveConfigurationProperty(['params'])) || {};
  const merged = { ...(params.default || {}), ...(params[stage] || {}), ...cliParams(options.param) };
  const key = JSON.stringify([stage, region, merged]);
  if (!cache.has(key)) {
    const { buildForwarder } = tsx.require('./template/forwarder.ts', __filename);
    try {
      cache.set(key, { forwarder: buildForwarder({ stage, region, params: merged }) });
    } catch (error) {
      // One line per bad parameter, naming it (osls prints error.stack).
      if (error && error.name === 'StageParamsError') error.stack = error.message;
      throw error;
    }
  }
  return cache.get(key);
};
