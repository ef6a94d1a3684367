import { describe, expect, it } from 'vitest';
import { FORWARDED_AUTHORIZATION, VIEWER_REQUEST_INJECTION, restoreAuthorization } from './edge-auth.js';

type CfHeaders = Record<string, { value: string }>;

/** Runs the injected code the way CloudFront's viewer-request function does: with `event` in scope. */
function viewerRequest(headers: CfHeaders): CfHeaders {
  const event = { request: { headers: { ...headers } } };
  new Function('event', VIEWER_REQUEST_INJECTION)(event);
  return event.request.headers;
}

/** What origin access control does next: its own SigV4 signature replaces Authorization. */
function signedByCloudFront(headers: CfHeaders): Record<string, string> {
  const plain = Object.fromEntries(Object.entries(headers).map(([name, { value }]) => [name, value]));
  return { ...plain, authorization: 'AWS4-HMAC-SHA256 Credential=ASIA.../cloudfront/aws4_request, Signature=abc' };
}

describe('Authorization through CloudFront origin access control', () => {
  it('reaches the API as the caller sent it', () => {
    const atEdge = viewerRequest({ authorization: { value: 'Bearer sk_live_abc' }, 'content-type': { value: 'application/json' } });
    expect(atEdge[FORWARDED_AUTHORIZATION]).toEqual({ value: 'Bearer sk_live_abc' });
    expect(restoreAuthorization(signedByCloudFront(atEdge))).toEqual({ authorization: 'Bearer sk_live_abc', 'content-type': 'application/json' });
  });

  it('drops a forwarded header the caller made up, so it cannot stand in for a missing Authorization', () => {
    const atEdge = viewerRequest({ [FORWARDED_AUTHORIZATION]: { value: 'Bearer stolen' } });
    expect(atEdge).toEqual({});
    expect(restoreAuthorization(signedByCloudFront(atEdge))).toEqual({});
  });

  it('lets the forwarded value win over a different one the caller also sent', () => {
    const atEdge = viewerRequest({ authorization: { value: 'Bearer mine' }, [FORWARDED_AUTHORIZATION]: { value: 'Bearer other' } });
    expect(restoreAuthorization(signedByCloudFront(atEdge)).authorization).toBe('Bearer mine');
  });

  it('leaves requests that did not come through CloudFront alone', () => {
    expect(restoreAuthorization({ authorization: 'Bearer direct', accept: '*/*' })).toEqual({ authorization: 'Bearer direct', accept: '*/*' });
  });
});
