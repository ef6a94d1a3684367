// GET /v1/usage: your usage and cost of succeeded jobs, by UTC day of completion or by model.
import type { Transport } from './transport.js';
import type { UsageReport } from './types.js';

export interface UsageQuery {
  /** First day, YYYY-MM-DD (UTC); the API's default is the first of `to`'s month. */
  from?: string;
  /** Last day, inclusive; the API's default is today. */
  to?: string;
  groupBy?: 'day' | 'model';
  signal?: AbortSignal;
}

export class Usage {
  constructor(private readonly transport: Transport) {}

  async get(query: UsageQuery = {}): Promise<UsageReport> {
    const params = new URLSearchParams();
    if (query.from !== undefined) params.set('from', query.from);
    if (query.to !== undefined) params.set('to', query.to);
    if (query.groupBy !== undefined) params.set('group_by', query.groupBy);
    const search = params.size === 0 ? '' : `?${params.toString()}`;
    return this.transport.json<UsageReport>({ method: 'GET', path: `/v1/usage${search}`, signal: query.signal });
  }
}
