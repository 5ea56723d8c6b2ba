// The mammography hanging protocol on Cornerstone3D stack viewports:
//   current  — 2x2: RCC | LCC over RMLO | LMLO, breasts back to back (right breast images face
//              left, left breast images face right), chest walls meeting in the middle;
//   compare  — the same pairs for a prior (left half) and the current exam (right half);
//   single   — one image (an extra view, ultrasound, or one standard view) on the whole area.
// Orientation comes from Patient Orientation (0020,0020): an image stored the other way round is
// flipped, never guessed from pixels. Viewports are created for a layout and reused for every
// exam; the display (fit or 1:1, window presets, invert) is kept across exams.

import { utilities } from '@cornerstonejs/core';
import { h, replace } from '../dom';
import {
  attachToolGroup,
  detachToolGroup,
  initCornerstone,
  IMAGE_RENDERED,
  STACK,
  type StackViewport,
} from './cornerstone';
import type { HungImage, StandardView } from './exam_images';
import type { RenderingEngine } from '@cornerstonejs/core';

export type Layout = 'current' | 'compare' | 'single';
export interface Cell {
  id: string; // viewport id
  image: HungImage | null;
  caption: string;
}

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

export class Hanging {
  private engine: RenderingEngine | null = null;
  private cells: Cell[] = [];
  private enabled = new Set<string>();
  private elements = new Map<string, HTMLDivElement>();
  private scale: 'fit' | 'true' = 'fit';
  private invert = false;
  private presetIndex = 0;
  private resizeObserver: ResizeObserver;
  layout: Layout = 'current';

  constructor(private container: HTMLElement) {
    let pending = 0;
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => this.onResize());
    });
    this.resizeObserver.observe(container);
  }

  async init(): Promise<void> {
    this.engine = await initCornerstone();
  }

  // Shows `cells` in `layout`; resolves once every image is rendered on screen.
  async show(layout: Layout, cells: Cell[]): Promise<void> {
    const engine = this.engine!;
    const layoutChanged = layout !== this.layout || cells.map((c) => c.id).join() !== this.cells.map((c) => c.id).join();
    this.layout = layout;
    this.cells = cells;
    if (layoutChanged || this.container.childElementCount === 0) this.buildDom();
    const wanted = new Set(cells.filter((c) => c.image).map((c) => c.id));
    for (const id of [...this.enabled]) {
      if (!wanted.has(id) || layoutChanged) {
        detachToolGroup(id);
        engine.disableElement(id);
        this.enabled.delete(id);
      }
    }
    for (const cell of cells) {
      const el = this.elements.get(cell.id)!;
      el.parentElement!.classList.toggle('empty', !cell.image);
      const cap = el.parentElement!.querySelector('.vp-caption');
      if (cap) cap.textContent = cell.caption;
      if (!cell.image) continue;
      if (!this.enabled.has(cell.id)) {
        engine.enableElement({ viewportId: cell.id, type: STACK, element: el, defaultOptions: { background: [0, 0, 0] } });
        attachToolGroup(cell.id);
        this.enabled.add(cell.id);
      }
    }
    await Promise.all(cells.filter((c) => c.image).map((c) => this.display(c)));
  }

  private buildDom(): void {
    this.container.dataset.layout = this.layout;
    this.elements.clear();
    const cellEls = this.cells.map((c) => {
      const el = h('div.vp-element', { 'data-viewport': c.id }) as HTMLDivElement;
      el.addEventListener('contextmenu', (e) => e.preventDefault());
      this.elements.set(c.id, el);
      return h('div.vp-cell', { 'data-cell': c.id }, el, h('div.vp-caption', { 'aria-hidden': 'true' }, c.caption), h('div.vp-missing', null, 'Incidence absente'));
    });
    replace(this.container, ...cellEls);
  }

  private viewport(id: string): StackViewport | null {
    return (this.engine?.getViewport(id) as StackViewport | undefined) ?? null;
  }

  private async display(cell: Cell): Promise<void> {
    const vp = this.viewport(cell.id);
    const img = cell.image;
    if (!vp || !img) return;
    const el = this.elements.get(cell.id)!;
    el.dataset.imageId = img.imageId;
    const rendered = new Promise<void>((resolve) => {
      const onRendered = () => {
        el.removeEventListener(IMAGE_RENDERED, onRendered);
        resolve();
      };
      el.addEventListener(IMAGE_RENDERED, onRendered);
    });
    await vp.setStack([img.imageId]);
    this.applyDisplay(vp, img);
    vp.render();
    await rendered;
    el.dataset.rendered = img.imageId;
  }

  private applyDisplay(vp: StackViewport, img: HungImage): void {
    const preset = img.presets.length ? img.presets[this.presetIndex % img.presets.length] : null;
    const props: Record<string, unknown> = { invert: this.invert };
    if (preset) props.voiRange = utilities.windowLevel.toLowHighRange(preset.width, preset.center);
    vp.setProperties(props as never);
    vp.setCamera(flipsFor(img));
    const edge = img.laterality === 'R' ? 1 : img.laterality === 'L' ? 0 : 0.5;
    const imageCanvasPoint = { imagePoint: [edge, 0.5] as [number, number], canvasPoint: [edge, 0.5] as [number, number] };
    vp.setDisplayArea(
      this.scale === 'fit'
        ? { type: 'FIT', imageCanvasPoint, storeAsInitialCamera: true }
        : { type: 'SCALE', scale: 1, imageCanvasPoint, storeAsInitialCamera: true },
    );
  }

  private reapply(): void {
    for (const c of this.cells) {
      const vp = this.viewport(c.id);
      if (vp && c.image && this.enabled.has(c.id)) {
        this.applyDisplay(vp, c.image);
        vp.render();
      }
    }
  }

  private onResize(): void {
    if (!this.engine || this.enabled.size === 0) return;
    this.engine.resize(true, false);
    this.reapply();
  }

  setScale(scale: 'fit' | 'true'): void {
    this.scale = scale;
    this.reapply();
  }
  get scaleMode(): 'fit' | 'true' {
    return this.scale;
  }
  toggleInvert(): void {
    this.invert = !this.invert;
    this.reapply();
  }
  nextPreset(): string {
    this.presetIndex++;
    this.reapply();
    const first = this.cells.find((c) => c.image?.presets.length)?.image;
    return first ? first.presets[this.presetIndex % first.presets.length].name : '';
  }
  // Back to the hanging's initial display (fit, default preset), keeping the invert state.
  reset(): void {
    this.scale = 'fit';
    this.presetIndex = 0;
    this.reapply();
  }
}

export const CURRENT_CELLS: StandardView[] = ['RCC', 'LCC', 'RMLO', 'LMLO'];
