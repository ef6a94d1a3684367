// Time-sortable ids: exact encoding, order within one millisecond, and the format check.
import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime, isId, newEventId, newJobId, newRequestId, newUploadId } from './ids.js';

const zeros = (target: Uint8Array) => target.fill(0);

describe('createIdGenerator', () => {
  it('encodes the time like ULID (1469918176385 ms → 01ARYZ6S41)', () => {
    const ids = createIdGenerator({ now: () => 1469918176385, randomBytes: zeros });
    expect(ids.next('job')).toBe('job_01ARYZ6S410000000000000000');
  });

  it('encodes 80 random bits as 16 characters', () => {
    const ids = createIdGenerator({ now: () => 0, randomBytes: (t) => t.fill(255) });
    expect(ids.next('evt')).toBe('evt_0000000000ZZZZZZZZZZZZZZZZ');
  });

  it('encodes the random bits most significant first (values checked against a big-integer encoding)', () => {
    const bytes = (values: number[]) => (t: Uint8Array) => t.set(values);
    expect(createIdGenerator({ now: () => 0, randomBytes: bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) }).next('job')).toBe('job_0000000000041061050R3GG28A');
    expect(createIdGenerator({ now: () => 0, randomBytes: bytes([0x80, 0, 0, 0, 1, 0xff, 0, 0, 0, 0x7f]) }).next('job')).toBe('job_0000000000G0000001ZW00003Z');
  });

  it('draws fresh random bits for every id across milliseconds (the default pooled source)', () => {
    let now = 0;
    const ids = createIdGenerator({ now: () => (now += 1) });
    const bodies = Array.from({ length: 2000 }, () => ids.next('job').slice(14));
    expect(new Set(bodies).size).toBe(2000);
  });

  it('counts up within one millisecond so ids stay in creation order', () => {
    const ids = createIdGenerator({ now: () => 1000, randomBytes: zeros });
    expect([ids.next('job'), ids.next('job'), ids.next('job')]).toEqual([
      'job_00000000Z80000000000000000',
      'job_00000000Z80000000000000001',
      'job_00000000Z80000000000000002',
    ]);
  });

  it('keeps order when the clock steps back', () => {
    let now = 5000;
    const ids = createIdGenerator({ now: () => now, randomBytes: zeros });
    const first = ids.next('req');
    now = 4000;
    const second = ids.next('req');
    expect(second > first).toBe(true);
    expect(idTime(second)).toBe(5000);
  });

  it('sorts as strings in time order across milliseconds', () => {
    let now = 1_700_000_000_000;
    const ids = createIdGenerator({ now: () => now });
    const made: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      now += i % 3;
      made.push(ids.next('job'));
    }
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(50);
  });
});

describe('helpers', () => {
  it('makes ids of each kind that pass isId and decode to now', () => {
    const before = Date.now();
    const made = [newJobId(), newUploadId(), newEventId(), newRequestId()];
    expect(made.map((id) => id.slice(0, 4))).toEqual(['job_', 'upl_', 'evt_', 'req_']);
    expect([isId('job', made[0] ?? ''), isId('upl', made[1] ?? ''), isId('evt', made[2] ?? ''), isId('req', made[3] ?? '')]).toEqual([true, true, true, true]);
    const time = idTime(made[0] ?? '');
    expect(time >= before && time <= Date.now()).toBe(true);
  });

  it('rejects ids of the wrong kind, length, alphabet or time range', () => {
    const good = 'job_01ARYZ6S410000000000000000';
    expect(isId('job', good)).toBe(true);
    expect(isId('upl', good)).toBe(false);
    expect(isId('job', good.slice(0, -1))).toBe(false);
    expect(isId('job', good.toLowerCase())).toBe(false);
    expect(isId('job', 'job_01ARYZ6S41000000000000000U')).toBe(false);
    expect(isId('job', 'job_81ARYZ6S410000000000000000')).toBe(false);
    expect(isId('job', `${good}/../x`)).toBe(false);
  });
});
