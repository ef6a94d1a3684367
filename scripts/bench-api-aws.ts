// Child process of `npm run bench:api`: the local AWS servers (s3rver, local-aws-sqs, dynalite) on free
// loopback ports, in their own event loop, as AWS is a different machine for a deployed API. Prints one
// JSON line (the env that points loadConfig() at them) and serves until its stdin closes, so it cannot
// outlive the bench even when the bench is killed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localAwsEnv, startLocalAws } from './local-aws.js';

const dataDir = await mkdtemp(join(tmpdir(), 'nexus-bench-aws-'));
const local = await startLocalAws({ dataDir, inMemoryDynamo: true });
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await local.stop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.once('SIGTERM', () => void stop());
process.stdout.write(`${JSON.stringify(localAwsEnv(local))}\n`);
