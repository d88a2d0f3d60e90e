/**
 * The zod the shared schemas (src/schemas/, src/events/) are written with: `zod/mini`, zod 4's tree-shakable
 * build (functions instead of methods: `z.optional(s)`, `s.check(z.maxLength(63))`). A Lambda bundle keeps
 * only what its schemas use — about 30 KB instead of classic zod's 450 KB — and imports fast. The same
 * schemas are the one definition everywhere: the CLI, the local runtime and the infrastructure code use
 * them as they are (classic zod accepts mini schemas inside its own, and both parse the same way).
 *
 * `zod/mini` loads no locale ("Invalid input" only); classic zod configures English on import. Configure it
 * here, before any parse, so a message is the same whichever build is loaded.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
