// esbuild plugins for serverless-esbuild (custom.esbuild.plugins), CommonJS because it is `require`d.
//
// Per-function wiring: src/lib/handler.ts builds the AWS composition with `import('./aws/dependencies')`
// (every adapter). In each Lambda bundle that import is replaced by a module that composes ONLY the
// adapters the function's calls need (custom.wiring, generated from src/infra/permissions.ts), so a
// bundle carries just the SDK clients it uses, and a port the table does not list fails loudly, naming it.
'use strict';

const path = require('node:path');

const ADAPTER_MODULE = { db: './db-adapter' };

function wiringModule(adapters) {
  const lines = ["import { composeAwsDependencies } from './compose';"];
  for (const a of adapters) lines.push(`import { ${a}Adapter } from '${ADAPTER_MODULE[a] || './adapters'}';`);
  lines.push(
    `export const awsDependencies = (env = process.env) => composeAwsDependencies(env, { ${adapters.map((a) => `${a}: ${a}Adapter`).join(', ')} });`,
  );
  return lines.join('\n');
}

/** @param {import('serverless')} serverless */
module.exports = (serverless) => {
  const wiring = (serverless.service.custom && serverless.service.custom.wiring) || {};
  const root = serverless.serviceDir || serverless.config.servicePath;
  return [
    {
      name: 'aurora-restore-wiring',
      setup(build) {
        const entry = path.relative(root, path.resolve(root, String(build.initialOptions.entryPoints[0]))).split(path.sep).join('/');
        const adapters = wiring[entry];
        if (!adapters) return;
        const handlerModule = path.join(root, 'src', 'lib', 'handler.ts');
        build.onResolve({ filter: /^\.\/aws\/dependencies$/ }, (args) =>
          path.resolve(args.importer) === handlerModule ? { path: entry, namespace: 'aurora-restore-wiring' } : undefined,
        );
        build.onLoad({ filter: /.*/, namespace: 'aurora-restore-wiring' }, () => ({
          contents: wiringModule(adapters),
          loader: 'ts',
          resolveDir: path.join(root, 'src', 'lib', 'aws'),
        }));
      },
    },
  ];
};

module.exports.wiringModule = wiringModule;
