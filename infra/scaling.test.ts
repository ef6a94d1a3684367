import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_STEP_ADJUSTMENTS, applySteps, backlogPerTask, desiredTasks, instancesForTasks, queueVisibilityForFunction, wakeFromZeroSteps } from './scaling.js';

describe('backlog per task', () => {
  it('divides visible jobs by tasks, infinite when jobs wait and there is no task', () => {
    expect(backlogPerTask(10, 4)).toBe(2.5);
    expect(backlogPerTask(0, 0)).toBe(0);
    expect(backlogPerTask(3, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('desires enough tasks that each has at most the target waiting, within min and max', () => {
    expect(desiredTasks({ visible: 17, targetBacklogPerTask: 8, minTasks: 1, maxTasks: 8 })).toBe(3);
    expect(desiredTasks({ visible: 16, targetBacklogPerTask: 8, minTasks: 0, maxTasks: 8 })).toBe(2);
    expect(desiredTasks({ visible: 0, targetBacklogPerTask: 8, minTasks: 1, maxTasks: 8 })).toBe(1);
    expect(desiredTasks({ visible: 0, targetBacklogPerTask: 8, minTasks: 0, maxTasks: 8 })).toBe(0);
    expect(desiredTasks({ visible: 1000, targetBacklogPerTask: 8, minTasks: 0, maxTasks: 8 })).toBe(8);
  });
});

describe('wake from zero', () => {
  it('steps one task per target-sized band of visible jobs, the last open-ended', () => {
    expect(wakeFromZeroSteps(8, 3)).toEqual([
      { lower: 0, upper: 8, tasks: 1 },
      { lower: 8, upper: 16, tasks: 2 },
      { lower: 16, upper: null, tasks: 3 },
    ]);
  });

  it('sets exact task counts for visible jobs', () => {
    const steps = wakeFromZeroSteps(8, 3);
    expect([0, 1, 8, 9, 16, 17, 1000].map((v) => applySteps(steps, v))).toEqual([null, 1, 1, 2, 2, 3, 3]);
  });

  it('stays within the 20 adjustments a policy may have', () => {
    const steps = wakeFromZeroSteps(8, 30);
    expect(steps).toHaveLength(MAX_STEP_ADJUSTMENTS);
    expect(steps.at(-1)).toEqual({ lower: 152, upper: null, tasks: 20 });
  });

  it('refuses a target or maximum below one', () => {
    expect(() => wakeFromZeroSteps(0, 3)).toThrow(RangeError);
    expect(() => wakeFromZeroSteps(8, 0)).toThrow(RangeError);
    expect(() => wakeFromZeroSteps(2.5, 3)).toThrow(RangeError);
  });

  it('wakes to what target tracking would want, capped at max and at 20 steps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), (target, max, visible) => {
        const steps = wakeFromZeroSteps(target, max);
        const want = desiredTasks({ visible, targetBacklogPerTask: target, minTasks: 0, maxTasks: max });
        expect(applySteps(steps, visible)).toBe(Math.min(want, MAX_STEP_ADJUSTMENTS));
      }),
    );
  });

  it('covers every metric value at or above the threshold exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 40 }), (target, max) => {
        const steps = wakeFromZeroSteps(target, max);
        expect(steps[0]?.lower).toBe(0);
        for (let i = 1; i < steps.length; i += 1) expect(steps[i]?.lower).toBe(steps[i - 1]?.upper);
        expect(steps.at(-1)?.upper).toBeNull();
      }),
    );
  });
});

describe('capacity and queue sizing', () => {
  it('needs one instance per GPU-worth of tasks', () => {
    expect(instancesForTasks(5, 4)).toBe(2);
    expect(instancesForTasks(4, 4)).toBe(1);
    expect(instancesForTasks(0, 1)).toBe(0);
  });

  it('gives a Lambda-consumed queue six times the function timeout', () => {
    expect(queueVisibilityForFunction(30)).toBe(180);
  });
});
