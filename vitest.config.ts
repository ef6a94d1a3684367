import { defineConfig } from 'vitest/config';

// Two lanes, both run by `npm test`:
// - fast (`npm run test:fast`): units, adapters and the API contract; under a minute on a 2-core host.
// - slow (`npm run test:slow`): everything that loads the model bundle or starts processes and long polls
//   (the worker and model suites, the reliability and webhook end-to-end tests, `npm start`, the request
//   property test). A suite that needs the bundle fails in CI when it is missing (test/support/bundle.ts).
const SLOW = [
  'test/reliability/**/*.test.ts',
  'test/webhooks/**/*.test.ts',
  'test/api/requests.property.test.ts',
  'test/api/job-events.test.ts',
  'test/e2e/**/*.test.ts',
  'clients/**/*.test.ts',
  'scripts/start.test.ts',
  'shared/aws/sqs-message-queue.test.ts',
  'workers/model/parity.test.ts',
  'workers/model/nexus-gen/parity.test.ts',
  'workers/model/runtime.test.ts',
  'workers/model/token-embeddings.test.ts',
  'workers/model/cli/main.test.ts',
  'workers/gpu/drain-poll.test.ts',
  'workers/gpu/main.test.ts',
  'workers/gpu/model-death.test.ts',
  'workers/gpu/model-thread.test.ts',
  'workers/gpu/prefetch.test.ts',
  'workers/gpu/slow-claim.test.ts',
  'workers/gpu/task-protection.worker.test.ts',
  'workers/gpu/transient-failures.test.ts',
  'workers/gpu/url-image-limits.test.ts',
  'workers/gpu/worker.test.ts',
];
const EXCLUDE = ['node_modules/**', '.sst/**', '.data/**', '.cache/**', 'models/training/runs/**'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'fast', include: ['**/*.test.ts'], exclude: [...EXCLUDE, ...SLOW] } },
      { extends: true, test: { name: 'slow', include: SLOW, exclude: EXCLUDE } },
    ],
  },
});
