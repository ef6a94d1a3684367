// UsageLedger on the one table (layout in dynamo-job-table.ts): the rollups are the usage rows the worker
// already counts into; billing lines are TENANT#{tenant} / BILL#{completed_at}#{job id}, so a month is one
// key range, oldest first.
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { usageSchema } from '../job-schemas.js';
import type { BillingLine, UsageDay, UsageLedger } from '../usage-ledger.js';
import { num, str } from './dynamo-rows.js';

export interface DynamoUsageLedgerOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const PAGE = 100;
const text = (value: unknown): string => str(value) ?? '';

function toUsageDay(item: Record<string, unknown>): UsageDay {
  return {
    day: text(item.day),
    model: text(item.model),
    jobs: num(item.jobs),
    images: num(item.images),
    inputTokens: num(item.input_tokens),
    outputTokens: num(item.output_tokens),
    computeMs: num(item.compute_ms),
    costUsdMicros: num(item.cost_usd_micros),
  };
}

function toBillingLine(item: Record<string, unknown>): BillingLine {
  return {
    jobId: text(item.job_id),
    tenant: text(item.tenant),
    model: text(item.model),
    createdAt: text(item.created_at),
    completedAt: text(item.completed_at),
    usage: usageSchema.parse(JSON.parse(text(item.usage))),
  };
}

export function createDynamoUsageLedger(options: DynamoUsageLedgerOptions): UsageLedger {
  const { client, tableName } = options;

  async function* query(pk: string, from: string, to: string): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const reply = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
          Limit: PAGE,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of reply.Items ?? []) yield item;
      start = reply.LastEvaluatedKey;
    } while (start !== undefined);
  }

  return {
    async listUsage(tenant, fromDay, toDay) {
      const days: UsageDay[] = [];
      // '$' sorts right after '#', so `USAGE#{to}$` is above every model of the last day and below the next day.
      for await (const item of query(`TENANT#${tenant}`, `USAGE#${fromDay}#`, `USAGE#${toDay}$`)) days.push(toUsageDay(item));
      return days;
    },

    async putBillingLine(line) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `TENANT#${line.tenant}`,
            sk: `BILL#${line.completedAt}#${line.jobId}`,
            job_id: line.jobId,
            tenant: line.tenant,
            model: line.model,
            created_at: line.createdAt,
            completed_at: line.completedAt,
            usage: JSON.stringify(line.usage),
          },
        }),
      );
    },

    async *billingLines(tenant, month) {
      // Completion times are ISO strings: '.' sorts right after '-', so the month's lines lie between "YYYY-MM-" and "YYYY-MM.".
      for await (const item of query(`TENANT#${tenant}`, `BILL#${month}-`, `BILL#${month}.`)) yield toBillingLine(item);
    },
  };
}
