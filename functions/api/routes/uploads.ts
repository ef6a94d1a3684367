import { createRoute, z } from '@hono/zod-openapi';
import { newUploadId } from '../../../shared/ids.js';
import type { RegisterRoutes } from '../app-types.js';
import { DEFAULT_LIMITS as L } from '../limits.js';
import { uploadKey } from '../../../shared/object-keys.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES } from '../schemas/error.js';

const UploadRequestSchema = z
  .strictObject({
    content_type: z.enum(['image/png', 'image/jpeg', 'image/webp']),
  })
  .openapi('UploadRequest');

const UploadSchema = z
  .object({
    id: z.string(),
    object: z.literal('upload'),
    reference: z.string().openapi({ description: 'Use as image_url.url in a job request', example: 'upload:upl_01JD3V9X8M4Q2W7RZK5T0B6N1C' }),
    upload_url: z.string().openapi({ description: 'Presigned URL: PUT the image bytes here with the given headers' }),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expires_at: z.string(),
  })
  .openapi('Upload');

const createUploadRoute = createRoute({
  method: 'post',
  path: '/v1/uploads',
  tags: ['uploads'],
  summary: 'Get a presigned URL to upload an input image',
  description: `The image is checked when a job references it: PNG, JPEG or WebP, at most ${L.maxImageBytes} bytes, ${L.maxImageSide}px a side, ${L.maxImagePixels} pixels.`,
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: UploadRequestSchema } } } },
  responses: {
    201: { content: { 'application/json': { schema: UploadSchema } }, description: 'Upload slot created' },
    ...COMMON_ERROR_RESPONSES,
    ...BODY_ERROR_RESPONSES,
  },
});

export const registerUploadRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(createUploadRoute, async (c) => {
    const { content_type: contentType } = c.req.valid('json');
    const id = newUploadId();
    const ttl = Math.min(deps.settings.presignTtlSeconds, 3600);
    const url = await deps.objects.presignPut(uploadKey(c.get('tenant'), id), contentType, ttl);
    return c.json(
      {
        id,
        object: 'upload' as const,
        reference: `upload:${id}`,
        upload_url: url,
        method: 'PUT' as const,
        headers: { 'content-type': contentType },
        expires_at: new Date(deps.now().getTime() + ttl * 1000).toISOString(),
      },
      201,
    );
  });
};
