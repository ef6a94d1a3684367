#!/usr/bin/env node
// `npx nexus`: the model runtime from the command line, no server. The CLI is TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../workers/model/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
