/** One file of the playground, served from memory (assets.generated.ts). */
export interface PlaygroundAsset {
  contentType: string;
  /** Strong validator: a hash of the body. */
  etag: string;
  body: string;
}
