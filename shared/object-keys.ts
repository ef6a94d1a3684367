// The S3 key layout, in one place (docs/architecture.md §5). Keys start with the tenant after the kind, so one tenant's
// objects share a prefix and another tenant's id is simply not found. Input and output keys are
// deterministic: a re-run after a crash overwrites, never duplicates. Lifecycle rules expire inputs and outputs.
//   uploads/{tenant}/{upload_id}                  presigned PUT by the client (functions/api/routes/uploads.ts)
//   inputs/{tenant}/{job_id}/{n}.{ext}           the request's images, stored by the API (claim check)
//   outputs/{tenant}/{job_id}/{n}.{ext}          the model's images, stored by the worker
//   models/{name}/{version}/…                    bundles the workers fetch (by convention: MODEL_BUNDLE_URI names it)

const EXTENSIONS: Partial<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** The file extension for an image media type; `bin` for one we do not know. */
export const extensionOf = (mediaType: string): string => EXTENSIONS[mediaType] ?? 'bin';

export const uploadKey = (tenant: string, uploadId: string): string => `uploads/${tenant}/${uploadId}`;

export const inputKey = (tenant: string, jobId: string, index: number, mediaType: string): string => `inputs/${tenant}/${jobId}/${index}.${extensionOf(mediaType)}`;

export const outputKey = (tenant: string, jobId: string, index: number, mediaType: string): string => `outputs/${tenant}/${jobId}/${index}.${extensionOf(mediaType)}`;
