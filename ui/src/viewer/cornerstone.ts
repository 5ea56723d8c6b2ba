// Cornerstone3D set-up for the reading console: one rendering engine, the DICOM image loader
// over the hub's WADO-RS, and one tool group (window/level, pan, zoom, magnifier) shared by
// every viewport. Initialised once per page; viewports are reused from exam to exam so that
// hundreds of exams do not accumulate GPU contexts or listeners.

import {
  init as coreInit,
  RenderingEngine,
  cache,
  Enums as CoreEnums,
  type Types,
} from '@cornerstonejs/core';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';
import {
  init as toolsInit,
  addTool,
  ToolGroupManager,
  WindowLevelTool,
  PanTool,
  ZoomTool,
  MagnifyTool,
  Enums as ToolEnums,
} from '@cornerstonejs/tools';

export const ENGINE_ID = 'dualread-engine';
export const TOOL_GROUP_ID = 'dualread-mammo';
// Bytes of decoded images kept: the current exam, its priors and the prefetched next exams
// (about 8 full-size images each) fit; older exams are released explicitly anyway.
const CACHE_BYTES = 1536 * 1024 * 1024;

let engine: RenderingEngine | null = null;

export type PrimaryTool = 'wl' | 'pan' | 'zoom' | 'magnify';
const TOOL_NAMES: Record<PrimaryTool, string> = {
  wl: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  magnify: MagnifyTool.toolName,
};

let loadersReady = false;

// The image loader and the tools, without the rendering engine (whose GL contexts take a while
// to create): the loader must exist before any image metadata is registered, since starting it
// clears what was registered.
export function initLoaders(): void {
  if (loadersReady) return;
  loadersReady = true;
  coreInit();
  dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)) });
  toolsInit();
  cache.setMaxCacheSize(CACHE_BYTES);
  for (const t of [WindowLevelTool, PanTool, ZoomTool, MagnifyTool]) addTool(t);
  const group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
  if (!group) throw new Error('tool group not created');
  group.addTool(WindowLevelTool.toolName);
  group.addTool(PanTool.toolName);
  group.addTool(ZoomTool.toolName);
  group.addTool(MagnifyTool.toolName);
  setPrimaryTool('wl');
}

export async function initCornerstone(): Promise<RenderingEngine> {
  if (engine) return engine;
  initLoaders();
  engine = new RenderingEngine(ENGINE_ID);
  return engine;
}

// The left button runs `tool`; the middle button pans and the right button zooms always.
export function setPrimaryTool(tool: PrimaryTool): void {
  const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID);
  if (!group) return;
  const { MouseBindings } = ToolEnums;
  for (const name of Object.values(TOOL_NAMES)) group.setToolPassive(name);
  const bindings: Record<string, { mouseButton: number }[]> = {};
  const add = (name: string, b: number) => (bindings[name] ??= []).push({ mouseButton: b });
  add(TOOL_NAMES[tool], MouseBindings.Primary);
  if (tool !== 'pan') add(PanTool.toolName, MouseBindings.Auxiliary);
  if (tool !== 'zoom') add(ZoomTool.toolName, MouseBindings.Secondary);
  for (const [name, b] of Object.entries(bindings)) group.setToolActive(name, { bindings: b });
}

export function attachToolGroup(viewportId: string): void {
  ToolGroupManager.getToolGroup(TOOL_GROUP_ID)?.addViewport(viewportId, ENGINE_ID);
}

export function detachToolGroup(viewportId: string): void {
  ToolGroupManager.getToolGroup(TOOL_GROUP_ID)?.removeViewports(ENGINE_ID, viewportId);
}

export const STACK = CoreEnums.ViewportType.STACK;
export const IMAGE_RENDERED = CoreEnums.Events.IMAGE_RENDERED;
export type StackViewport = Types.IStackViewport;
