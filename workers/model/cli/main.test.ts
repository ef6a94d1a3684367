import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForSuite } from '../../../test/support/bundle.js';
import { readConversation } from './conversation.js';
import { main } from './main.js';

const bundle = bundleForSuite('workers/model/cli/main.test.ts');

describe.skipIf(bundle === null)('nexus CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nexus-cli-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes the generated image and continues a saved conversation', async () => {
    const chat = join(dir, 'chat.json');
    await writeFile(chat, '{"messages": []}');
    const common = ['--bundle', bundle ?? '', '--steps', '2', '--max-tokens', '8', '--modality', 'image', '--seed', '5'];
    const first = join(dir, 'first.png');
    expect(
      await main([
        'run',
        '--conversation',
        chat,
        '--prompt',
        'Generate an image according to the following description: a large red circle in the center',
        '--save',
        '--out',
        first,
        ...common,
      ]),
    ).toBe(0);
    expect((await sharp(await readFile(first)).metadata()).format).toBe('png');
    expect(await main(['run', '--conversation', chat, '--prompt', 'Make the circle blue.', '--save', '--out', join(dir, 'second'), ...common])).toBe(0);
    const saved = await readConversation(chat);
    expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const imageUrl = (i: number): string | undefined => {
      const content = saved.messages[i]?.content;
      const part = typeof content === 'string' ? undefined : content?.find((p) => p.type === 'image_url');
      return part?.type === 'image_url' ? part.image_url.url : undefined;
    };
    expect(imageUrl(1)).toBe('first.png');
    expect(imageUrl(3)).toBe('second.png');
  });

  it('exits 2 with usage on bad arguments', async () => {
    expect(await main(['fly'])).toBe(2);
    expect(await main(['run', '--bundle', bundle ?? '', '--format', 'gif', '--prompt', 'x'])).toBe(1);
  });
});
