// The limits every input image is held to (README "Limits"), whichever way it arrives: the API checks data
// URIs and uploads against them (functions/api/limits.ts), the worker the images it fetches by URL.

export interface ImageLimits {
  /** Bytes of one image file. */
  maxImageBytes: number;
  /** Pixels along either side. */
  maxImageSide: number;
  /** width × height. */
  maxImagePixels: number;
}

export const IMAGE_LIMITS: ImageLimits = {
  maxImageBytes: 6 * 1024 * 1024,
  maxImageSide: 4096,
  maxImagePixels: 16 * 1024 * 1024,
};

/** Why an image of these dimensions is refused (the API's wording), or null when it is within the limits. */
export function imageDimensionsProblem(width: number, height: number, limits: ImageLimits = IMAGE_LIMITS): string | null {
  if (width <= limits.maxImageSide && height <= limits.maxImageSide && width * height <= limits.maxImagePixels) return null;
  return `image is ${width}x${height}; at most ${limits.maxImageSide}px a side and ${limits.maxImagePixels} pixels`;
}
