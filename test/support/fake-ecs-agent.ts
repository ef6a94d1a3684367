// A fake of the ECS agent's task-protection endpoint on loopback, for tests: records each request body and
// answers as the agent does, or as told (a failure body, or never).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type AgentMode = 'ok' | 'failure' | 'hang';

export interface FakeAgent {
  uri: string;
  /** Parsed request bodies, in arrival order. */
  requests: unknown[];
  /** Method and path of each request, in arrival order. */
  paths: string[];
  mode: AgentMode;
  close(): Promise<void>;
}

export async function startFakeAgent(): Promise<FakeAgent> {
  const hanging: ServerResponse[] = [];
  const agent: FakeAgent = { uri: '', requests: [], paths: [], mode: 'ok', close: async () => undefined };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      agent.paths.push(`${request.method ?? ''} ${request.url ?? ''}`);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Recorded as it came.
      }
      agent.requests.push(body);
      if (agent.mode === 'hang') {
        hanging.push(response);
        return;
      }
      const answer =
        agent.mode === 'failure'
          ? { failure: { Arn: 'arn:aws:ecs:local:task/t', Reason: 'TASK_NOT_VALID', Detail: null } }
          : { protection: { ProtectionEnabled: typeof body === 'object' && body !== null && 'ProtectionEnabled' in body ? body.ProtectionEnabled : null } };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  agent.uri = `http://127.0.0.1:${port}`;
  agent.close = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return agent;
}
