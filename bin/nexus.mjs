#!/usr/bin/env node
// `npx nexus`: the platform API from the command line (generate, edit, ask, jobs, usage: clients/cli) and the model
// runtime without a server (`nexus run`: workers/model/cli). The CLIs are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const argv = process.argv.slice(2);
const api = await import('../clients/cli/main.ts');
// `run` anywhere (the model CLI's own parser takes options before it) unless an API command comes first.
const useModel = !api.API_COMMANDS.has(argv[0] ?? '') && argv.includes('run');
const { main } = useModel ? await import('../workers/model/cli/main.ts') : api;
process.exitCode = await main(argv);
