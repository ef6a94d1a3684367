// The door check of client URLs (webhooks, image URLs) and of data: URIs.
import { describe, expect, it } from 'vitest';
import { isDataUri, parseDataUri } from './images/data-uri.js';
import { checkClientUrl } from './url-policy.js';

describe('checkClientUrl', () => {
  it('takes https anywhere, and plain http only to loopback (127.0.0.0/8, ::1, localhost) when the local config allows it', () => {
    const verdicts = [
      'https://hooks.example.com/x',
      'http://127.0.0.1:8080/x',
      'http://127.0.0.2/x',
      'http://127.255.255.254/x',
      'http://127.1/x',
      'http://[::1]:9000/x',
      'http://localhost/x',
      'http://128.0.0.1/x',
      'http://10.0.0.1/x',
      'http://127.0.0.1.example.com/x',
    ].map((url) => [url, checkClientUrl(url, true).ok]);
    expect(verdicts).toEqual([
      ['https://hooks.example.com/x', true],
      ['http://127.0.0.1:8080/x', true],
      ['http://127.0.0.2/x', true],
      ['http://127.255.255.254/x', true],
      ['http://127.1/x', true],
      ['http://[::1]:9000/x', true],
      ['http://localhost/x', true],
      ['http://128.0.0.1/x', false],
      ['http://10.0.0.1/x', false],
      ['http://127.0.0.1.example.com/x', false],
    ]);
    expect(checkClientUrl('http://127.0.0.2/x', false)).toEqual({ ok: false, message: 'URL must be https' });
    expect(checkClientUrl('https://u:p@example.com/', true)).toEqual({ ok: false, message: 'URL must not contain credentials' });
  });
});

describe('data: URIs', () => {
  it('match the scheme case-insensitively (RFC 3986 §3.1)', () => {
    expect(['data:image/png;base64,AA==', 'DATA:image/png;base64,AA==', 'Data:x', 'dat', 'upload:upl_1'].map(isDataUri)).toEqual([true, true, true, false, false]);
    expect(parseDataUri('DATA:image/PNG;BASE64,AQID', 16)).toEqual({ ok: true, declaredType: 'image/png', bytes: new Uint8Array([1, 2, 3]) });
  });
});
