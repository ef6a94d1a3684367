// SigV4: the AWS test suite's get-vanilla vector, and the SDK's own signer (@smithy/signature-v4, as the SDK
// clients configure it for DynamoDB and SQS) as a reference on JSON-protocol POSTs, for both crypto backends.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { nodeSigV4Crypto } from './aws-json-node.js';
import { amzDate, createSigV4Signer, jsSigV4Crypto, webSigV4Crypto, type SigV4Crypto } from './sigv4.js';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = new Date('2015-08-30T12:36:00Z');

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : data instanceof Uint8Array ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** The reference signer's hash, on node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const backends: [string, SigV4Crypto][] = [
  ['plain TypeScript', jsSigV4Crypto],
  ['Web Crypto', webSigV4Crypto],
  ['node:crypto', nodeSigV4Crypto],
];

describe.each(backends)('createSigV4Signer (%s)', (_name, sigCrypto) => {
  it('signs the AWS test suite get-vanilla request as published', async () => {
    const sign = createSigV4Signer({ region: 'us-east-1', service: 'service', crypto: sigCrypto });
    const headers = await sign({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '' }, EXAMPLE, AT);
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it.each([
    ['dynamodb', 'https://dynamodb.eu-west-1.amazonaws.com/', 'DynamoDB_20120810.PutItem', undefined],
    ['sqs', 'https://sqs.eu-west-1.amazonaws.com/', 'AmazonSQS.SendMessageBatch', 'IQoJb3JpZ2luX2VjEAoaCXVzLWVhc3QtMSJH//session+token='],
    ['dynamodb', 'http://127.0.0.1:4567/', 'DynamoDB_20120810.PutItem', undefined],
  ])('matches the SDK signer for %s at %s', async (service, endpoint, target, sessionToken) => {
    const credentials = { ...EXAMPLE, ...(sessionToken === undefined ? {} : { sessionToken }) };
    const url = new URL(endpoint);
    const body = JSON.stringify({ TableName: 'nexus-jobs', Item: { pk: { S: 'TENANT#acme' }, text: { S: 'ünïcode  and  spaces' } } });
    const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target, 'x-amzn-query-mode': 'true' };
    const now = new Date('2026-11-26T04:05:06.789Z');

    const ours = await createSigV4Signer({ region: 'eu-west-1', service, crypto: sigCrypto })({ method: 'POST', url, headers, body }, credentials, now);
    const reference = new SignatureV4({ service, region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false, uriEscapePath: true });
    const signed = await reference.sign(
      { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port === '' ? undefined : Number(url.port), path: '/', headers: { ...headers, host: url.host }, body },
      { signingDate: now },
    );
    expect(ours.authorization).toBe(signed.headers.authorization);
    expect(ours['x-amz-security-token']).toBe(sessionToken);
    expect(ours['x-amz-date']).toBe('20261126T040506Z');
  });

  it('a different body or key gives a different signature; the cached day key follows the date', async () => {
    const sign = createSigV4Signer({ region: 'us-east-1', service: 'dynamodb', crypto: sigCrypto });
    const request = (body: string) => ({ method: 'POST', url: new URL('https://dynamodb.us-east-1.amazonaws.com/'), headers: {}, body });
    const a = await sign(request('{"a":1}'), EXAMPLE, AT);
    const b = await sign(request('{"a":2}'), EXAMPLE, AT);
    const c = await sign(request('{"a":1}'), { ...EXAMPLE, secretAccessKey: 'other' }, AT);
    const nextDay = await sign(request('{"a":1}'), EXAMPLE, new Date('2015-08-31T12:36:00Z'));
    const sameAgain = await sign(request('{"a":1}'), EXAMPLE, AT);
    expect(new Set([a.authorization, b.authorization, c.authorization, nextDay.authorization]).size).toBe(4);
    expect(sameAgain.authorization).toBe(a.authorization);
  });
});

describe('amzDate', () => {
  it('formats ISO basic without milliseconds', () => {
    expect(amzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
