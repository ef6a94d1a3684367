// Task protection against a loopback stand-in for the ECS agent, with a manual clock for the timers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config.js';
import { startFakeAgent, type FakeAgent } from '../../test/support/fake-ecs-agent.js';
import { createTaskProtection, type ProtectionClock } from './task-protection.js';

interface ManualClock extends ProtectionClock {
  advance(ms: number): void;
  pending(): number;
}

function manualClock(): ManualClock {
  let time = 0;
  let timers: { at: number; callback: () => void }[] = [];
  return {
    now: () => time,
    setTimer(callback, ms) {
      const timer = { at: time + ms, callback };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      time += ms;
      const due = timers.filter((t) => t.at <= time).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > time);
      for (const t of due) t.callback();
    },
    pending: () => timers.length,
  };
}

const ENABLE = { ProtectionEnabled: true, ExpiresInMinutes: 30 };
const DISABLE = { ProtectionEnabled: false };

let agent: FakeAgent;
let logs: { event: string; fields: Record<string, unknown> }[];
beforeEach(async () => {
  agent = await startFakeAgent();
  logs = [];
});
afterEach(async () => {
  await agent.close();
});

function make(clock: ManualClock, agentUri: string | null = agent.uri, timeoutMs = 1_000) {
  return createTaskProtection({
    agentUri,
    expiresInMinutes: 30,
    idleMs: 5_000,
    timeoutMs,
    retryMs: 10_000,
    clock,
    log: (event, fields) => logs.push({ event, fields }),
  });
}

describe('task protection', () => {
  it('enables once on busy, stays on through a stream of jobs, and disables once after the idle delay', async () => {
    const clock = manualClock();
    const protection = make(clock);
    protection.busy();
    await protection.settled();
    expect(agent.paths).toEqual(['PUT /task-protection/v1/state']);
    expect(agent.requests).toEqual([ENABLE]);
    // Busy/idle per job within the idle delay: no request at all.
    for (let i = 0; i < 5; i += 1) {
      protection.idle();
      clock.advance(1_000);
      protection.busy();
    }
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE]);
    protection.idle();
    clock.advance(4_999);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE]);
    clock.advance(1);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE, DISABLE]);
    expect(logs.map((l) => [l.event, l.fields.enabled])).toEqual([
      ['task_protection', true],
      ['task_protection', false],
    ]);
    expect(logs[0]?.fields.expires_at).toBe(new Date(30 * 60_000).toISOString());
    // A second idle changes nothing, and stop has nothing left to drop.
    protection.idle();
    await protection.stop();
    expect(agent.requests).toEqual([ENABLE, DISABLE]);
    expect(clock.pending()).toBe(0);
  });

  it('renews every half lifetime while busy, and stops renewing once disabled', async () => {
    const clock = manualClock();
    const protection = make(clock);
    protection.busy();
    await protection.settled();
    clock.advance(15 * 60_000 - 1);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE]);
    clock.advance(1);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE, ENABLE]);
    clock.advance(15 * 60_000);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE, ENABLE, ENABLE]);
    await protection.stop();
    expect(agent.requests).toEqual([ENABLE, ENABLE, ENABLE, DISABLE]);
    expect(clock.pending()).toBe(0);
    protection.busy();
    await protection.settled();
    expect(agent.requests).toHaveLength(4);
  });

  it('logs an agent failure answer and retries the enable sooner than a renewal', async () => {
    const clock = manualClock();
    const protection = make(clock);
    agent.mode = 'failure';
    protection.busy();
    await protection.settled();
    expect(logs).toHaveLength(1);
    expect(logs[0]?.event).toBe('task_protection_failed');
    expect(logs[0]?.fields.error).toContain('TASK_NOT_VALID');
    agent.mode = 'ok';
    clock.advance(10_000);
    await protection.settled();
    expect(agent.requests).toEqual([ENABLE, ENABLE]);
    expect(logs[1]?.event).toBe('task_protection');
    await protection.stop();
  });

  it('times a hung agent out fast and never throws when the agent is down', async () => {
    const clock = manualClock();
    agent.mode = 'hang';
    const protection = make(clock, agent.uri, 200);
    const started = Date.now();
    protection.busy();
    await protection.settled();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(180);
    expect(waited).toBeLessThan(2_000);
    expect(logs.map((l) => l.event)).toEqual(['task_protection_failed']);
    await agent.close();
    const down = make(manualClock());
    down.busy();
    await down.settled();
    await down.stop();
    expect(logs.map((l) => l.event)).toEqual(['task_protection_failed', 'task_protection_failed', 'task_protection_failed']);
    await protection.stop();
  });

  it('is a no-op without an agent URI', async () => {
    const clock = manualClock();
    const protection = make(clock, null);
    protection.busy();
    protection.idle();
    clock.advance(60 * 60_000);
    await protection.stop();
    expect(agent.requests).toEqual([]);
    expect(logs).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('refuses an expiry ECS would refuse', () => {
    expect(() => createTaskProtection({ agentUri: agent.uri, expiresInMinutes: 0, idleMs: 0, timeoutMs: 100, log: () => undefined })).toThrow(
      'expiresInMinutes must be an integer from 1 to 2880',
    );
  });
});

describe('task protection settings', () => {
  it('defaults to off with 30 minutes, 5 s idle delay and 2 s timeout', () => {
    expect(loadWorkerConfig({}).taskProtection).toEqual({ agentUri: null, expiresInMinutes: 30, idleMs: 5_000, timeoutMs: 2_000 });
  });

  it('reads the agent URI ECS sets and the overrides', () => {
    const settings = loadWorkerConfig({
      ECS_AGENT_URI: 'http://127.0.0.1:51678/api/task-id',
      TASK_PROTECTION_MINUTES: '120',
      TASK_PROTECTION_IDLE_MS: '0',
      TASK_PROTECTION_TIMEOUT_MS: '500',
    });
    expect(settings.taskProtection).toEqual({ agentUri: 'http://127.0.0.1:51678/api/task-id', expiresInMinutes: 120, idleMs: 0, timeoutMs: 500 });
  });

  it.each([{ TASK_PROTECTION_MINUTES: '0' }, { TASK_PROTECTION_MINUTES: '2881' }, { ECS_AGENT_URI: 'not a url' }])('refuses %j', (env) => {
    expect(() => loadWorkerConfig(env)).toThrow(Object.keys(env)[0]);
  });
});
