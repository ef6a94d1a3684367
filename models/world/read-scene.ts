// The scene an image shows, read back by pixel analysis: what a generated image really holds (its own jitter and
// background, which a caption never fixes), so that an edit of a generated image is judged against that image
// and not against the caption's intended scene.
import { analyseImage } from './analyse.js';
import { CELL_CENTRES, GRID, SIZE_PX, type Rgb } from './config.js';
import type { RgbImage } from './render.js';
import type { Scene, SceneShape } from './scene.js';

/** The scene in `image`, shapes in cell order; null when a shape's kind cannot be told or no background is seen. */
export function readScene(image: RgbImage): Scene | null {
  const analysis = analyseImage(image);
  if (analysis.background === null) return null;
  const shapes: SceneShape[] = [];
  for (const d of analysis.shapes) {
    if (d.shape === 'unknown') return null;
    // inverse of shapeBox: the box centre is cell centre + jitter - floor(side / 2) + (side - 1) / 2
    const side = SIZE_PX[d.size];
    const offset = (side - 1) / 2 - Math.floor(side / 2);
    const dx = Math.round(d.centre.x - offset - (CELL_CENTRES[d.cell % GRID] ?? 0));
    const dy = Math.round(d.centre.y - offset - (CELL_CENTRES[Math.floor(d.cell / GRID)] ?? 0));
    shapes.push({ shape: d.shape, colour: d.colour, size: d.size, cell: d.cell, dx, dy });
  }
  const [r, g, b] = analysis.background;
  const background: Rgb = [Math.round(r), Math.round(g), Math.round(b)];
  return { background, shapes: shapes.sort((a, b) => a.cell - b.cell) };
}
