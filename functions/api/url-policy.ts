// Which URLs a client may hand us (webhook targets, image URLs). This is the shape check at the door; the
// address check after DNS resolution is the SSRF guard's, at fetch time (shared/ssrf-guard.ts).

const LOOPBACK_HOSTS = new Set(['[::1]', 'localhost']);
/** 127.0.0.0/8 (WHATWG URL parsing has already turned 127.1 and the like into dotted quads). */
const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname) || IPV4_LOOPBACK.test(hostname);

export type UrlVerdict = { ok: true; url: string } | { ok: false; message: string };

export function checkClientUrl(raw: string, allowLoopbackHttp: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'not a valid absolute URL' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'URL must not contain credentials' };
  if (url.protocol === 'https:') return { ok: true, url: url.href };
  if (url.protocol === 'http:' && allowLoopbackHttp && isLoopbackHost(url.hostname)) return { ok: true, url: url.href };
  return { ok: false, message: allowLoopbackHttp ? 'URL must be https (or http to loopback)' : 'URL must be https' };
}
