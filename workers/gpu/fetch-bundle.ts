// Fetches a model bundle from an S3 prefix into a local folder before the runtime loads it: manifest.json
// first, then every file it lists, each checked against the manifest's sha256 (a file already present with
// the right digest is kept, so a restarted container does not download it again).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '../../shared/ports.js';

const manifestFiles = z.object({
  files: z.record(z.string(), z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});

export class BundleFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleFetchError';
  }
}

export function parseBundleUri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(uri);
  if (match === null || match[1] === undefined || match[2] === undefined) throw new BundleFetchError(`not an s3://bucket/prefix URI: ${uri}`);
  return { bucket: match[1], prefix: match[2] };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function localDigest(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(path));
  } catch {
    return null;
  }
}

/** A manifest path must stay inside the bundle folder. */
function safeRelative(path: string): string {
  const clean = normalize(path);
  if (clean.startsWith('..') || clean.startsWith('/')) throw new BundleFetchError(`manifest path escapes the bundle: ${path}`);
  return clean;
}

export interface FetchBundleResult {
  downloaded: string[];
  kept: string[];
}

export async function fetchBundle(store: ObjectStore, prefix: string, dir: string): Promise<FetchBundleResult> {
  const base = prefix.replace(/\/+$/, '');
  const manifestBytes = await store.get(`${base}/manifest.json`);
  if (manifestBytes === null) throw new BundleFetchError(`no manifest.json under ${base}`);
  const parsed = manifestFiles.safeParse(JSON.parse(new TextDecoder().decode(manifestBytes)));
  if (!parsed.success) throw new BundleFetchError(`manifest.json under ${base} lists no valid files: ${parsed.error.message}`);
  await mkdir(dir, { recursive: true });
  const result: FetchBundleResult = { downloaded: [], kept: [] };
  for (const file of Object.values(parsed.data.files)) {
    const relative = safeRelative(file.path);
    const target = join(dir, relative);
    if ((await localDigest(target)) === file.sha256) {
      result.kept.push(relative);
      continue;
    }
    const bytes = await store.get(`${base}/${relative}`);
    if (bytes === null) throw new BundleFetchError(`bundle file missing: ${base}/${relative}`);
    const digest = sha256(bytes);
    if (digest !== file.sha256) throw new BundleFetchError(`sha256 mismatch for ${relative}: expected ${file.sha256}, got ${digest}`);
    await mkdir(dirname(target), { recursive: true });
    // Write then rename, so a crash mid-download never leaves a truncated file that looks complete.
    await writeFile(`${target}.partial`, bytes);
    await rename(`${target}.partial`, target);
    result.downloaded.push(relative);
  }
  await writeFile(join(dir, 'manifest.json'), manifestBytes);
  return result;
}
