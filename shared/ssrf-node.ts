// Node-only pieces of the SSRF guard: the DNS resolver and a connector that dials the address the guard
// checked (never a fresh lookup, so a DNS answer cannot change between check and connect).
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { Connector } from './guarded-fetch.js';
import type { Resolver } from './ssrf-guard.js';

export const dnsResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

export const nodeConnector: Connector = (request) =>
  new Promise((resolve, reject) => {
    const client = request.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== null) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req = client.request(
      request.url,
      {
        method: request.method,
        headers,
        lookup: pinnedLookup(request.address),
        signal: request.signal,
        // One connection per exchange: pooled sockets would outlive the check they were made under.
        agent: false,
      },
      (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: res });
      },
    );
    req.on('error', reject);
    req.end(request.body ?? undefined);
  });
