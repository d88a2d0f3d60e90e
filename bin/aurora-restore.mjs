#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx aurora-restore` works right after `npm ci`.
import { register } from 'tsx/esm/api';

// Locally the SDK only talks to dynalite; its Node 22 notice is noise on a laptop's timeline.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/main.ts');
