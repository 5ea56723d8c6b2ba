// Where a mammogram's chest wall and top go in the hanging protocol, from its Patient
// Orientation (0020,0020) and laterality: breasts back to back (right breast images face left,
// left breast images face right), CC views with the lateral side up, MLO views with the head
// up. An image stored the other way round is flipped, never guessed from pixels. Pure function
// (no DOM, no Cornerstone), tested by tests/e2e/test_orientation.mjs.

import type { HungImage } from './exam_images';

// Horizontal and vertical flips that put `img` in the hanging orientation.
export function flipsFor(img: HungImage): { flipHorizontal: boolean; flipVertical: boolean } {
  const [row, col] = img.orientation.map((s) => s.toUpperCase());
  let flipHorizontal = false;
  let flipVertical = false;
  if (img.laterality === 'R' || img.laterality === 'L') {
    const chestWallSide = img.laterality === 'R' ? 'P' : 'A'; // right breast: chest wall on the right
    const nippleSide = img.laterality === 'R' ? 'A' : 'P';
    if (row.includes(nippleSide) && !row.includes(chestWallSide)) flipHorizontal = true;
    if (img.projection === 'CC') {
      // Lateral side at the top: going down points medially.
      if (col.includes(img.laterality) && !col.includes(img.laterality === 'R' ? 'L' : 'R')) flipVertical = true;
    } else if (img.projection === 'MLO' || img.projection === 'ML' || img.projection === 'LM') {
      if (col.includes('H') && !col.includes('F')) flipVertical = true;
    }
  }
  return { flipHorizontal, flipVertical };
}
