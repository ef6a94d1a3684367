import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, bytesToHex } from './base64.js';

describe('base64 and hex', () => {
  const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);

  it('round-trips every byte value through base64, with the RFC 4648 alphabet and padding', () => {
    expect(bytesToBase64(bytes)).toBe('AAF/gP7/');
    expect(bytesToBase64(Uint8Array.from([102, 111]))).toBe('Zm8=');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
  });

  it('throws on text that is not base64', () => {
    expect(() => base64ToBytes('a')).toThrow();
    expect(() => base64ToBytes('%%%')).toThrow();
  });

  it('writes lower-case hex, two digits per byte', () => {
    expect(bytesToHex(bytes)).toBe('00017f80feff');
    expect(bytesToHex(new Uint8Array())).toBe('');
  });
});
