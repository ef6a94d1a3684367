// ObjectStore on S3 (docs/architecture.md §5 key layout is the callers' business; this adapter stores bytes).
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectHead, ObjectStore } from '../ports.js';

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /**
   * Client used only to sign URLs handed to customers, when they must reach S3 through another host than
   * the services do (a CDN or a public endpoint). Defaults to `client`.
   */
  presignClient?: S3Client;
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
}

export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { client, bucket } = options;
  const presignClient = options.presignClient ?? client;

  return {
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }));
    },

    async get(key) {
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!reply.Body) return new Uint8Array(0);
        return await reply.Body.transformToByteArray();
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async head(key): Promise<ObjectHead | null> {
      try {
        const reply = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: reply.ContentLength ?? 0, contentType: reply.ContentType };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    presignGet(key, expiresInSeconds) {
      return getSignedUrl(presignClient, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
    },

    presignPut(key, contentType, expiresInSeconds) {
      // ContentType is signed, so the uploader must send exactly this Content-Type header.
      return getSignedUrl(presignClient, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType }), {
        expiresIn: expiresInSeconds,
        signableHeaders: new Set(['content-type']),
      });
    },
  };
}
