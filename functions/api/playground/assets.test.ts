// The served playground is the built one: assets.generated.ts matches what `npm run build:playground` makes from
// web/ today, and the page's copies of API limits match the API's.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildPlaygroundModule, PLAYGROUND_MODULE } from '../../../scripts/build-playground.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { PLAYGROUND_ASSETS } from './assets.generated.js';
import { MAX_IMAGE_BYTES, MAX_IMAGES, MAX_TEXT_CHARS } from './web/limits.js';

describe('playground assets', () => {
  it('are up to date with web/ (run npm run build:playground after editing it)', async () => {
    expect(await readFile(PLAYGROUND_MODULE, 'utf8')).toBe(await buildPlaygroundModule());
  });

  it('serve the page, its stylesheet and one script per module, and no test file', () => {
    expect(Object.keys(PLAYGROUND_ASSETS).sort()).toEqual([
      'api.js',
      'conversation.js',
      'follow-job.js',
      'images.js',
      'index.html',
      'limits.js',
      'main.js',
      'playground.css',
      'sse-parser.js',
      'view.js',
    ]);
    // No HTML parsing of data anywhere in the page's code.
    for (const [name, asset] of Object.entries(PLAYGROUND_ASSETS)) {
      if (name.endsWith('.js')) expect([name, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/.test(asset.body)]).toEqual([name, false]);
    }
  });

  it("hold the API's limits", () => {
    expect([MAX_IMAGE_BYTES, MAX_IMAGES, MAX_TEXT_CHARS]).toEqual([DEFAULT_LIMITS.maxImageBytes, DEFAULT_LIMITS.maxImages, DEFAULT_LIMITS.maxTextChars]);
  });
});
