// Tiny DOM builder: h('div.class#id', {attrs}, children). No framework: the screens are few and
// the reading console must control exactly when the DOM changes (form and images together).

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

type TagOf<S extends string> = S extends `${infer T}.${string}`
  ? TagOf<T>
  : S extends `${infer T}#${string}`
    ? T
    : S;
type ElementOf<S extends string> = TagOf<S> extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[TagOf<S>] : HTMLElement;

export function h<S extends string>(spec: S, attrs: Attrs | null = null, ...children: Child[]): ElementOf<S> {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(spec);
  const tag = m ? m[1] : 'div';
  const el = document.createElement(tag) as unknown as ElementOf<S>;
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g) ?? []) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === 'class') {
        for (const c of String(v).split(/\s+/)) if (c) el.classList.add(c);
      } else if (k === 'style' && typeof v === 'object') {
        Object.assign(el.style, v);
      } else if (k === 'value' && 'value' in el) {
        (el as unknown as HTMLInputElement).value = String(v);
      } else if (k === 'checked' && 'checked' in el) {
        (el as unknown as HTMLInputElement).checked = Boolean(v);
      } else if (v === true) {
        el.setAttribute(k, '');
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

let toastTimer = 0;
// A short message announced to screen readers (role=status) and shown at the bottom.
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = message;
  t.className = kind === 'error' ? 'show error' : 'show';
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (t.className = ''), kind === 'error' ? 8000 : 3000);
}

export function formatDate(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d8 = /^(\d{4})(\d{2})(\d{2})$/.exec(iso);
  if (d8) return `${d8[3]}/${d8[2]}/${d8[1]}`;
  const d = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(iso);
  if (!d) return iso;
  return `${d[3]}/${d[2]}/${d[1]}` + (d[4] ? ` ${d[4]}:${d[5]}` : '');
}
