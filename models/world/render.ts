// Hard-edged rendering (no anti-aliasing), so every pixel is either the background or a palette colour.
import { IMAGE_SIZE, PALETTE } from './config.js';
import { shapeBox, type Scene, type SceneShape } from './scene.js';

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major, 3 bytes per pixel. */
  rgb: Uint8Array;
}

function covers(s: SceneShape, side: number, col: number, row: number): boolean {
  const centre = (side - 1) / 2;
  switch (s.shape) {
    case 'square':
      return true;
    case 'circle': {
      const r = side / 2;
      return (col - centre) ** 2 + (row - centre) ** 2 <= r * r;
    }
    case 'triangle':
      // Apex up, base on the bottom row: row r is about r+1 pixels wide.
      return Math.abs(col - centre) <= (row + 1) / 2;
  }
}

export function renderScene(scene: Scene, size: number = IMAGE_SIZE): RgbImage {
  const rgb = new Uint8Array(size * size * 3);
  const [br, bg, bb] = scene.background;
  for (let i = 0; i < size * size; i++) {
    rgb[i * 3] = br;
    rgb[i * 3 + 1] = bg;
    rgb[i * 3 + 2] = bb;
  }
  for (const s of scene.shapes) {
    const { x0, y0, side } = shapeBox(s);
    const [r, g, b] = PALETTE[s.colour];
    for (let row = 0; row < side; row++) {
      const y = y0 + row;
      if (y < 0 || y >= size) continue;
      for (let col = 0; col < side; col++) {
        const x = x0 + col;
        if (x < 0 || x >= size || !covers(s, side, col, row)) continue;
        const o = (y * size + x) * 3;
        rgb[o] = r;
        rgb[o + 1] = g;
        rgb[o + 2] = b;
      }
    }
  }
  return { width: size, height: size, rgb };
}
