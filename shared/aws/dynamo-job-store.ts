// Jobs: TENANT#{tenant} / JOB#{id} (ids sort by time, so one query lists a tenant's jobs newest first).
// Conditional create, reads, listing, and status changes guarded by the current status.
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobStatus } from '../job.js';
import { notFound } from '../errors.js';
import type { JobPatch, JobStore, TransitionOptions } from '../ports.js';
import { createExpressionBuilder, decodeCursor, encodeCursor, isConditionFailure } from './dynamo-expressions.js';
import type { DynamoStoreOptions } from './dynamo-rows.js';
import { itemToJob, jobKey, jobToItem, patchToAttributes } from './job-item.js';

type ExpressionBuilder = ReturnType<typeof createExpressionBuilder>;

const MAX_PAGE = 100;

export function createDynamoJobStore(options: DynamoStoreOptions): JobStore {
  const { client, tableName } = options;

  /** Sends one conditional update; the updated job, or null when the condition failed (someone else won). */
  async function conditionalUpdate(tenant: string, id: string, b: ExpressionBuilder, sets: string[], condition: string, adds: string[] = []) {
    try {
      const reply = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: jobKey(tenant, id),
          UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: b.names,
          ExpressionAttributeValues: b.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return reply.Attributes ? itemToJob(reply.Attributes) : null;
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /** One guarded update: sets `to` (if any) and the patch while the status is one of `from` (and, if asked, no cancel is requested). */
  async function guardedUpdate(tenant: string, id: string, from: readonly JobStatus[], to: JobStatus | null, patch: JobPatch, options: TransitionOptions = {}) {
    if (from.length === 0) return null;
    const b = createExpressionBuilder();
    const status = b.name('status');
    const sets = patchToAttributes(patch).map(([attribute, value]) => `${b.name(attribute)} = ${b.value(value)}`);
    // A patch with nothing to set still has to prove the status, so it rewrites the status unchanged.
    sets.push(to === null ? `${status} = ${status}` : `${status} = ${b.value(to)}`);
    const allowed = from.map((s) => b.value(s)).join(', ');
    let condition = `attribute_exists(${b.name('pk')}) AND ${status} IN (${allowed})`;
    if (options.unlessCancelRequested === true)
      condition += ` AND (attribute_not_exists(${b.name('cancel_requested')}) OR ${b.name('cancel_requested')} = ${b.value(false)})`;
    const adds = options.bumpSequence === true ? [`${b.name('event_sequence')} ${b.value(1)}`] : [];
    return conditionalUpdate(tenant, id, b, sets, condition, adds);
  }

  return {
    async createJob(job) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: jobToItem(job),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async getJob(tenant, id) {
      const reply = await client.send(new GetCommand({ TableName: tableName, Key: jobKey(tenant, id), ConsistentRead: true }));
      return reply.Item ? itemToJob(reply.Item) : null;
    },

    async listJobs(tenant, { limit, cursor }) {
      const pk = `TENANT#${tenant}`;
      const pageSize = Math.min(Math.max(Math.floor(limit), 1), MAX_PAGE);
      const start = cursor === null ? undefined : decodeCursor(cursor, pk, 'JOB#');
      // One extra row tells whether another page exists, so the last page never hands out a dead cursor.
      const reply = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'JOB#' },
          ScanIndexForward: false,
          Limit: pageSize + 1,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      const rows = reply.Items ?? [];
      const items = rows.slice(0, pageSize).map((row) => itemToJob(row));
      const last = items[items.length - 1];
      // LastEvaluatedKey alone also appears when DynamoDB cut the page at 1 MB.
      const more = rows.length > pageSize || reply.LastEvaluatedKey !== undefined;
      const nextCursor = more && last ? encodeCursor(jobKey(tenant, last.id)) : null;
      return { items, nextCursor };
    },

    transition(tenant, id, from, to, patch = {}, options = {}) {
      return guardedUpdate(tenant, id, from, to, patch, options);
    },

    async claimRun(tenant, id, attempt, patch = {}) {
      const b = createExpressionBuilder();
      const status = b.name('status');
      const held = b.name('attempt');
      const attemptValue = b.value(attempt);
      const sets = patchToAttributes(patch).map(([attribute, value]) => `${b.name(attribute)} = ${b.value(value)}`);
      sets.push(`${status} = ${b.value('running')}`, `${held} = ${attemptValue}`);
      // A later delivery may take over a run whose worker died (its message became visible again);
      // the same or an earlier delivery may not, so two live deliveries never both run the job.
      const condition =
        `attribute_exists(${b.name('pk')}) AND (${status} = ${b.value('queued')} OR ` +
        `(${status} = ${b.value('running')} AND (attribute_not_exists(${held}) OR ${held} < ${attemptValue})))`;
      return conditionalUpdate(tenant, id, b, sets, condition);
    },

    patch(tenant, id, whileStatus, patch, options = {}) {
      return guardedUpdate(tenant, id, whileStatus, null, patch, options);
    },

    async nextEventSequence(tenant, id) {
      try {
        const reply = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: jobKey(tenant, id),
            UpdateExpression: 'ADD event_sequence :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const value: unknown = reply.Attributes?.event_sequence;
        if (typeof value !== 'number') throw new Error(`event_sequence of ${id} is not a number`);
        return value;
      } catch (error) {
        if (isConditionFailure(error)) throw notFound(`No job ${id}.`);
        throw error;
      }
    },
  };
}
