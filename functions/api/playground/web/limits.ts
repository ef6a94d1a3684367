// The API's request limits the page checks before sending (functions/api/limits.ts; assets.test.ts keeps them
// equal). The API checks them again and its answer is shown as it comes.
export const MAX_TEXT_CHARS = 4000;
export const MAX_IMAGES = 4;
/** Bytes of one image file (shared/image-limits.ts maxImageBytes). */
export const MAX_IMAGE_BYTES = 6 * 1024 * 1024;
