import { describe, expect, it } from 'vitest';
import { FIXED_MONTHLY, HOURS_PER_MONTH, estimateCost, requestsUsdPerJob } from './cost.js';

describe('estimateCost', () => {
  it('prices a warm g5.xlarge stage idle and per 1,000 images at 2 GPU-seconds each', () => {
    const estimate = estimateCost({ gpuUsdPerHour: 1.006, gpusPerInstance: 1, warmInstances: 1, gpuSecondsPerImage: 2 });
    // (1.006 + 0.005 public IPv4) per hour + $14.10 a month of fixed charges over 730 hours.
    expect(estimate.fixedUsdPerHour).toBeCloseTo(14.1 / 730, 9);
    expect(estimate.idleUsdPerHour).toBeCloseTo(1.011 + 14.1 / 730, 9);
    expect(estimate.per1000ImagesGpuUsd).toBeCloseTo((1000 * 2 * 1.011) / 3600, 9);
    expect(estimate.per1000ImagesRequestsUsd).toBeCloseTo(0.03903337, 7);
    expect(estimate.per1000ImagesUsd).toBeCloseTo(0.56166667 + 0.03903337, 7);
  });

  it('costs only the fixed charges idle when no instance is kept warm', () => {
    const estimate = estimateCost({ gpuUsdPerHour: 1.006, gpusPerInstance: 1, warmInstances: 0, gpuSecondsPerImage: 2 });
    expect(estimate.idleUsdPerHour).toBeCloseTo(0.01931507, 8);
  });

  it('splits a multi-GPU instance price across its GPUs', () => {
    const one = estimateCost({ gpuUsdPerHour: 4, gpusPerInstance: 4, warmInstances: 0, gpuSecondsPerImage: 3.6 });
    expect(one.per1000ImagesGpuUsd).toBeCloseTo((1000 * 3.6 * (4.005 / 4)) / 3600, 9);
  });

  it('adds up the listed fixed items and per-job requests', () => {
    expect(FIXED_MONTHLY.reduce((sum, f) => sum + f.usdPerMonth, 0)).toBeCloseTo(14.1, 9);
    expect(HOURS_PER_MONTH).toBe(730);
    expect(requestsUsdPerJob()).toBeCloseTo(0.00003903337, 11);
  });
});
