// GET /v1/models.
import type { Transport } from './transport.js';
import type { Model, ModelList } from './types.js';

export class Models {
  constructor(private readonly transport: Transport) {}

  async list(options: { signal?: AbortSignal } = {}): Promise<Model[]> {
    return (await this.transport.json<ModelList>({ method: 'GET', path: '/v1/models', signal: options.signal })).data;
  }
}
