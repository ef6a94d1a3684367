import { describe, expect, it } from 'vitest';
import { IMAGE_LIMITS, imageDimensionsProblem } from './image-limits.js';

describe('imageDimensionsProblem', () => {
  it('takes an image up to the side and pixel limits', () => {
    expect(imageDimensionsProblem(4096, 4096)).toBeNull();
    expect(imageDimensionsProblem(1, 1)).toBeNull();
  });

  it('refuses one side over the limit, and too many pixels, in the API\u2019s words', () => {
    expect(imageDimensionsProblem(4097, 1)).toBe('image is 4097x1; at most 4096px a side and 16777216 pixels');
    expect(imageDimensionsProblem(1, 4097)).toBe('image is 1x4097; at most 4096px a side and 16777216 pixels');
    expect(imageDimensionsProblem(100, 100, { ...IMAGE_LIMITS, maxImagePixels: 9_999 })).toBe('image is 100x100; at most 4096px a side and 9999 pixels');
  });
});
