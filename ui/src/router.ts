// History-API routing: the hub answers every page path with index.html (SPA fallback).

type Handler = (params: string[]) => void | (() => void);
const routes: [RegExp, Handler][] = [];
let cleanup: (() => void) | void = undefined;

export function route(pattern: RegExp, handler: Handler): void {
  routes.push([pattern, handler]);
}

export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatch();
}

export function dispatch(): void {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const path = location.pathname;
  for (const [re, handler] of routes) {
    const m = re.exec(path);
    if (m) {
      cleanup = handler(m.slice(1).map(decodeURIComponent));
      document.getElementById('main')?.focus({ preventScroll: true });
      return;
    }
  }
}

export function startRouter(): void {
  window.addEventListener('popstate', dispatch);
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(a.getAttribute('href')!);
  });
  dispatch();
}
