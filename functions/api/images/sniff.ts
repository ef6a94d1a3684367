// The header parser lives in shared/ so the worker can check images it fetches by URL the same way; the API
// keeps importing it from here.
export { sniffImage, type ImageFormat, type ImageInfo, type ImageMediaType, type SniffResult } from '../../../shared/image-sniff.js';
