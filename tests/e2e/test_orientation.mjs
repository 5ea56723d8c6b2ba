// The hanging protocol's orientation rule (ui/src/viewer/orientation.ts), for images stored the
// way vendors store them and the other way round: from Patient Orientation (0020,0020) and
// laterality, the flips that put the chest wall in the middle of the 2x2 (right breast on the
// right of its cell, left breast on the left), CC views lateral side up and MLO views head up.
// The synthetic images are all stored in display orientation, so this is where the flips of a
// vendor storing the nipple on the chest-wall side, or the feet up, are checked.
import { importUiModule, run, tmpDir, log, check } from './lib.mjs';

run(async () => {
  const dir = tmpDir('dualread-orientation-');
  const { flipsFor } = await importUiModule('viewer/orientation.ts', dir);
  const img = (laterality, projection, orientation) => ({ laterality, projection, orientation });
  // [laterality, projection, Patient Orientation (rows, columns), flip horizontally, vertically]
  const cases = [
    // Right breast: going right on screen goes towards the chest wall (posterior).
    ['R', 'CC', ['P', 'L'], false, false], // as hung: lateral up, medial (L) down
    ['R', 'CC', ['A', 'L'], true, false], // nipple on the right: mirror
    ['R', 'CC', ['P', 'R'], false, true], // medial up: upside down
    ['R', 'CC', ['A', 'R'], true, true], // both
    ['R', 'MLO', ['P', 'F'], false, false],
    ['R', 'MLO', ['P', 'FL'], false, false], // oblique: feet and left downwards
    ['R', 'MLO', ['P', 'H'], false, true], // head down
    ['R', 'MLO', ['A', 'HR'], true, true],
    // Left breast: going right on screen goes towards the nipple (anterior).
    ['L', 'CC', ['A', 'R'], false, false],
    ['L', 'CC', ['P', 'R'], true, false],
    ['L', 'CC', ['A', 'L'], false, true],
    ['L', 'MLO', ['A', 'FR'], false, false],
    ['L', 'MLO', ['P', 'F'], true, false],
    ['L', 'MLO', ['A', 'H'], false, true],
    ['L', 'ML', ['A', 'H'], false, true],
    // Lower case as some vendors write it.
    ['R', 'CC', ['a', 'l'], true, false],
    // Without a laterality or an orientation nothing is guessed.
    ['', 'CC', ['A', 'R'], false, false],
    ['R', 'CC', ['', ''], false, false],
    // An orientation naming both sides is not a reason to flip.
    ['R', 'CC', ['AP', 'LR'], false, false],
  ];
  for (const [lat, proj, po, h, v] of cases) {
    const got = flipsFor(img(lat, proj, po));
    check(got.flipHorizontal === h && got.flipVertical === v, `${lat || '-'} ${proj} [${po.join('\\')}]: expected H=${h} V=${v}, got ${JSON.stringify(got)}`);
  }
  log(`${cases.length} orientations hung as expected`);
});
