// The job table's keys, as shared/aws/dynamo-job-table.ts reads and writes them (docs/architecture.md §5). Every access
// pattern is a key lookup or a query on one partition (a tenant's jobs newest first, a job's deliveries), so
// the table needs no secondary index; infra/contract.test.ts checks these names against the adapter.
export const TABLE_HASH_KEY = 'pk';
export const TABLE_RANGE_KEY = 'sk';
export const TABLE_TTL_ATTRIBUTE = 'expires_at';
