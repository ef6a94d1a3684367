// CloudFront signs its requests to the API's function URL (origin access control), and that signature replaces
// the caller's Authorization header. So the Router's viewer-request function copies the caller's Authorization
// into FORWARDED_AUTHORIZATION (dropping any copy the caller sent under that name), and the Lambda entry
// (infra/api-entry.ts) puts it back before the API sees the request. The API code stays unaware of CloudFront.
export const FORWARDED_AUTHORIZATION = 'x-nexus-authorization';

/** Runs in a CloudFront Function (JS runtime 2.0): header names are lower case, values are { value }. */
export const VIEWER_REQUEST_INJECTION = [
  `delete event.request.headers['${FORWARDED_AUTHORIZATION}'];`,
  `if (event.request.headers.authorization) {`,
  `  event.request.headers['${FORWARDED_AUTHORIZATION}'] = { value: event.request.headers.authorization.value };`,
  `}`,
].join('\n');

const SIGV4 = /^AWS4-HMAC-SHA256 /;

/** Lambda side: the caller's Authorization back in place, and CloudFront's own signature never shown to the API. */
export function restoreAuthorization(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const { [FORWARDED_AUTHORIZATION]: forwarded, ...rest } = headers;
  if (forwarded !== undefined) return { ...rest, authorization: forwarded };
  if (rest.authorization !== undefined && SIGV4.test(rest.authorization)) {
    const { authorization: _signature, ...unsigned } = rest;
    return unsigned;
  }
  return rest;
}
