// The mammography hanging protocol on Cornerstone3D stack viewports:
//   current  — 2x2: RCC | LCC over RMLO | LMLO, breasts back to back (right breast images face
//              left, left breast images face right), chest walls meeting in the middle;
//   compare  — the same pairs for a prior (left half) and the current exam (right half);
//   single   — one image (an extra view, ultrasound, or one standard view) on the whole area.
// Orientation comes from Patient Orientation (0020,0020): an image stored the other way round is
// flipped, never guessed from pixels. Viewports are created for a layout and reused for every
// exam; the display (fit or 1:1, window presets, invert) is kept across exams.
// Double buffering: while the reader reads, the next exam's 2x2 is rendered into a second set of
// viewports kept out of sight behind the first (`stage`); "next" then only swaps the two sets,
// so the images are on screen at once instead of being uploaded and drawn after the key press.
// An image not yet in the cache is first shown at screen resolution (reduced_fetch.ts) and
// replaced by its full frame when that has come, keeping the reader's zoom, pan and window; the
// cell says "résolution écran" meanwhile, so nobody reads fine detail from the rendition.

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
import { evictIfReleased, type HungImage, type StandardView } from './exam_images';
import { flipsFor } from './orientation';
import { loadImage } from './frame_fetch';
import { dropReduced, fullLoaded, loadReduced } from './reduced_fetch';
import type { RenderingEngine } from '@cornerstonejs/core';

export type Layout = 'current' | 'compare' | 'single';
export interface Cell {
  id: string; // viewport id
  image: HungImage | null;
  caption: string;
}

// The next exam's 2x2, rendered out of sight.
interface Staged {
  key: string;
  deck: number;
  cells: Cell[];
  cellEls: HTMLElement[];
  elements: Map<string, HTMLDivElement>;
  displayVersion: number;
  ready: Promise<boolean>; // false when it could not be rendered (then it is not used)
}

// Waits before each new try of a full frame that could not be loaded.
const FULL_FRAME_RETRY_MS = [1000, 3000];

// Resolves at the next IMAGE_RENDERED event of the viewport element `el`.
function renderedOnce(el: HTMLElement): Promise<void> {
  return new Promise<void>((resolve) => {
    const onRendered = () => {
      el.removeEventListener(IMAGE_RENDERED, onRendered);
      resolve();
    };
    el.addEventListener(IMAGE_RENDERED, onRendered);
  });
}

const cellsKey = (cells: Cell[]) => cells.map((c) => `${c.id}=${c.image?.imageId ?? ''}`).join('|');

export class Hanging {
  private engine: RenderingEngine | null = null;
  private cells: Cell[] = [];
  private enabled = new Set<string>(); // viewport ids
  private elements = new Map<string, HTMLDivElement>(); // by cell id
  private deck = 0; // the visible set of viewports: ids without (0) or with (1) a suffix
  private staged: Staged | null = null;
  private stageHost: HTMLElement;
  private displayVersion = 0;
  private scale: 'fit' | 'true' = 'fit';
  private invert = false;
  private presetIndex = 0;
  private fullResolution: Promise<void> = Promise.resolve();
  private resizeObserver: ResizeObserver;
  layout: Layout = 'current';

  constructor(private container: HTMLElement) {
    let pending = 0;
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => this.onResize());
    });
    this.resizeObserver.observe(container);
    // Same box as the viewer (both fill .viewer-wrap), hidden behind it.
    this.stageHost = h('div.viewer-stage', { 'aria-hidden': 'true' });
    container.parentElement?.appendChild(this.stageHost);
  }

  private vid(cellId: string, deck = this.deck): string {
    return deck ? `${cellId}~b` : cellId;
  }

  async init(): Promise<void> {
    this.engine = await initCornerstone();
  }

  // Shows `cells` in `layout`; resolves once every image is rendered on screen, to true when
  // they were already rendered out of sight (stage).
  async show(layout: Layout, cells: Cell[]): Promise<boolean> {
    const engine = this.engine!;
    // The next exam, rendered out of sight: swap it in. (Another show — compare, an extra view,
    // back to the 2x2 of the exam being read — leaves the stage for when "next" comes.)
    const staged = this.staged;
    if (staged && layout === 'current' && staged.key === cellsKey(cells)) {
      this.staged = null;
      if (await staged.ready) {
        this.swapIn(staged);
        return true;
      }
      await this.discard(staged);
    }
    const layoutChanged = layout !== this.layout || cells.map((c) => c.id).join() !== this.cells.map((c) => c.id).join();
    this.layout = layout;
    this.cells = cells;
    if (layoutChanged || this.container.childElementCount === 0) this.buildDom();
    const wanted = new Set(cells.filter((c) => c.image).map((c) => c.id));
    for (const id of [...this.enabled]) {
      const cellId = this.deck ? id.replace(/~b$/, '') : id;
      if (!wanted.has(cellId) || layoutChanged) {
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
      const id = this.vid(cell.id);
      if (!this.enabled.has(id)) {
        engine.enableElement({ viewportId: id, type: STACK, element: el, defaultOptions: { background: [0, 0, 0] } });
        attachToolGroup(id);
        this.enabled.add(id);
      }
    }
    const upgrades: Promise<void>[] = [];
    await Promise.all(cells.filter((c) => c.image).map((c) => this.display(c, this.elements.get(c.id)!, this.vid(c.id), upgrades)));
    for (const c of cells) if (c.image) this.elements.get(c.id)!.dataset.rendered = c.image.imageId;
    this.fullResolution = Promise.all(upgrades).then(() => undefined);
    return false;
  }

  // Resolves once every image of the last show() is on screen at full resolution (at once when
  // none was shown at screen resolution first).
  whenFullResolution(): Promise<void> {
    return this.fullResolution;
  }

  // Renders `cells` (a 2x2 'current' layout) out of sight, for the next show('current') of the
  // same images. A new stage replaces the previous one.
  stage(cells: Cell[]): void {
    if (!this.engine) return;
    const previous = this.staged;
    const deck = 1 - this.deck;
    const elements = new Map<string, HTMLDivElement>();
    const cellEls = cells.map((c) => this.cellDom(c, elements, deck));
    const staged: Staged = { key: cellsKey(cells), deck, cells, cellEls, elements, displayVersion: this.displayVersion, ready: Promise.resolve(false) };
    this.staged = staged;
    staged.ready = (async () => {
      if (previous) await this.discard(previous);
      if (this.staged !== staged) return false;
      replace(this.stageHost, ...cellEls);
      const engine = this.engine!;
      const shown = cells.filter((c) => c.image);
      for (const c of shown) {
        const id = this.vid(c.id, deck);
        engine.enableElement({ viewportId: id, type: STACK, element: elements.get(c.id)!, defaultOptions: { background: [0, 0, 0] } });
      }
      try {
        await Promise.all(shown.map((c) => this.display(c, elements.get(c.id)!, this.vid(c.id, deck))));
        return this.staged === staged;
      } catch {
        return false;
      }
    })();
  }

  // Puts a rendered stage on screen in place of what is shown.
  private swapIn(staged: Staged): void {
    const engine = this.engine!;
    for (const id of this.enabled) {
      detachToolGroup(id);
      engine.disableElement(id);
    }
    this.enabled.clear();
    this.layout = 'current';
    this.container.dataset.layout = 'current';
    replace(this.container, ...staged.cellEls);
    this.stageHost.replaceChildren();
    this.deck = staged.deck;
    this.fullResolution = Promise.resolve();
    this.cells = staged.cells;
    this.elements = staged.elements;
    for (const c of staged.cells) {
      if (!c.image) continue;
      const id = this.vid(c.id);
      attachToolGroup(id);
      this.enabled.add(id);
    }
    // The reader changed the display (fit, preset, invert) after it was rendered.
    if (staged.displayVersion !== this.displayVersion) this.reapply();
    for (const c of staged.cells) if (c.image) this.elements.get(c.id)!.dataset.rendered = c.image.imageId;
  }

  private async discard(staged: Staged): Promise<void> {
    await staged.ready.catch(() => false);
    for (const c of staged.cells) {
      const id = this.vid(c.id, staged.deck);
      if (c.image && this.engine?.getViewport(id)) this.engine.disableElement(id);
    }
    if (this.stageHost.firstChild === staged.cellEls[0]) this.stageHost.replaceChildren();
  }

  private buildDom(): void {
    this.container.dataset.layout = this.layout;
    this.elements.clear();
    const cellEls = this.cells.map((c) => this.cellDom(c, this.elements, this.deck));
    replace(this.container, ...cellEls);
  }

  private cellDom(c: Cell, elements: Map<string, HTMLDivElement>, deck: number): HTMLElement {
    const el = h('div.vp-element', { 'data-viewport': this.vid(c.id, deck) }) as HTMLDivElement;
    el.addEventListener('contextmenu', (e) => e.preventDefault());
    elements.set(c.id, el);
    const cell = h(
      'div.vp-cell',
      { 'data-cell': c.id },
      el,
      h('div.vp-caption', { 'aria-hidden': 'true' }, c.caption),
      h('div.vp-missing', null, 'Incidence absente'),
      h('div.vp-resolution.screen', null, 'Résolution écran : pleine résolution en cours'),
      h('div.vp-resolution.failed', { role: 'alert' }, 'Pleine résolution indisponible : ne pas agrandir'),
    );
    cell.classList.toggle('empty', !c.image);
    return cell;
  }

  private viewport(id: string): StackViewport | null {
    return (this.engine?.getViewport(id) as StackViewport | undefined) ?? null;
  }

  // Renders the cell's image in viewport `id` (element `el`); resolves once it is drawn. With
  // `upgrades` (a show on screen, fitted), an image whose full frame is not in the cache yet is
  // drawn at screen resolution first; its replacement by the full frame is pushed to `upgrades`.
  private async display(cell: Cell, el: HTMLDivElement, id: string, upgrades?: Promise<void>[]): Promise<void> {
    const vp = this.viewport(id);
    const img = cell.image;
    if (!vp || !img) return;
    el.dataset.imageId = img.imageId;
    const cellEl = el.parentElement!;
    if (upgrades && this.scale === 'fit' && !fullLoaded(img.imageId)) {
      const dpr = window.devicePixelRatio || 1;
      const reducedId = await loadReduced(img.imageId, el.clientWidth * dpr, el.clientHeight * dpr);
      if (reducedId && el.dataset.imageId === img.imageId) {
        await this.draw(vp, el, img, reducedId);
        cellEl.dataset.resolution = 'screen';
        upgrades.push(this.upgrade(vp, el, img, reducedId));
        return;
      }
    }
    await loadImage(img.imageId); // fetched and decoded before the viewport asks for it
    await this.draw(vp, el, img, img.imageId);
    cellEl.dataset.resolution = 'full';
  }

  private async draw(vp: StackViewport, el: HTMLDivElement, img: HungImage, imageId: string): Promise<void> {
    const rendered = renderedOnce(el);
    await vp.setStack([imageId]);
    this.applyDisplay(vp, img);
    vp.render();
    await rendered;
  }

  // Replaces the rendition shown in `vp` by the full frame, as the reader left it (zoom, pan,
  // window, invert), unless the cell shows something else by then.
  private async upgrade(vp: StackViewport, el: HTMLDivElement, img: HungImage, reducedId: string): Promise<void> {
    const cellEl = el.parentElement!;
    const stillShown = () => el.dataset.imageId === img.imageId && vp.getCurrentImageId() === reducedId;
    // A failed download is tried again (a link's hiccup), then the view says it failed.
    for (let attempt = 0; ; attempt++) {
      try {
        await loadImage(img.imageId);
        break;
      } catch {
        if (attempt >= FULL_FRAME_RETRY_MS.length || !stillShown()) {
          if (stillShown()) cellEl.dataset.resolution = 'failed';
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, FULL_FRAME_RETRY_MS[attempt]));
      }
    }
    if (!stillShown()) {
      evictIfReleased(img.imageId); // the reader moved on to the next exam meanwhile
      return;
    }
    const presentation = vp.getViewPresentation({ zoom: true, pan: true });
    const { voiRange, invert } = vp.getProperties();
    const rendered = renderedOnce(el);
    await vp.setStack([img.imageId]);
    this.applyDisplay(vp, img);
    vp.setProperties({ voiRange, invert });
    vp.setViewPresentation(presentation);
    vp.render();
    await rendered;
    cellEl.dataset.resolution = 'full';
    dropReduced(img.imageId);
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
    this.displayVersion++;
    for (const c of this.cells) {
      const vp = this.viewport(this.vid(c.id));
      if (vp && c.image && this.enabled.has(this.vid(c.id))) {
        this.applyDisplay(vp, c.image);
        vp.render();
      }
    }
  }

  private onResize(): void {
    if (!this.engine || this.enabled.size === 0) return;
    // A stage rendered at the old size would not fit: drop it (the next exam renders on show).
    if (this.staged) {
      const staged = this.staged;
      this.staged = null;
      void this.discard(staged);
    }
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
