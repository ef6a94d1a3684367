// POST /v1/uploads, then the bytes straight to storage with the presigned PUT it returns: for images too big to
// inline in a job request (CloudFront caps request bodies at 1 MB on AWS).
import { InvalidRequestError } from './errors.js';
import { sniffImageType, toBytes, type ImageMediaType } from './media.js';
import type { Transport } from './transport.js';
import type { Upload } from './types.js';

export interface UploadOptions {
  /** Sniffed from the bytes when absent. */
  contentType?: ImageMediaType;
  signal?: AbortSignal;
}

export class Uploads {
  constructor(private readonly transport: Transport) {}

  /** Uploads the image; use the result's `reference` (`upload:upl_…`) as an image URL in a job. */
  async create(file: Blob | Uint8Array | ArrayBuffer, options: UploadOptions = {}): Promise<Upload> {
    const bytes = await toBytes(file);
    const contentType = options.contentType ?? sniffImageType(bytes);
    if (contentType === null) {
      throw new InvalidRequestError({
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_image',
        message: 'not a PNG, JPEG or WebP image',
        param: 'file',
        requestId: null,
        retryAfterSeconds: null,
      });
    }
    const upload = await this.transport.json<Upload>({ method: 'POST', path: '/v1/uploads', body: { content_type: contentType }, signal: options.signal });
    const res = await this.transport.external(upload.upload_url, { method: upload.method, headers: upload.headers, body: bytes, signal: options.signal });
    await res.body?.cancel().catch(() => undefined);
    return upload;
  }
}
