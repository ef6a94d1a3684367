// The S3 key layout, exactly as stored objects and job rows name it.
import { describe, expect, it } from 'vitest';
import { inputKey, outputKey, uploadKey } from './object-keys.js';

describe('S3 keys', () => {
  it('names uploads, inputs and outputs by tenant, id and position', () => {
    expect(uploadKey('acme', 'upl_01')).toBe('uploads/acme/upl_01');
    expect(inputKey('acme', 'job_01', 0, 'image/png')).toBe('inputs/acme/job_01/0.png');
    expect(inputKey('acme', 'job_01', 2, 'image/jpeg')).toBe('inputs/acme/job_01/2.jpg');
    expect(outputKey('acme', 'job_01', 1, 'image/webp')).toBe('outputs/acme/job_01/1.webp');
    expect(outputKey('acme', 'job_01', 0, 'application/octet-stream')).toBe('outputs/acme/job_01/0.bin');
  });
});
