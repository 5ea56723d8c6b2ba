// Horizontal bar charts drawn as inline SVG (no charting library): one bar per item, its label
// on the left and its value written at the end of the bar, so that the figure reads without
// colour and prints. The SVG is an image for assistive technologies (role=img with a label); the
// same figures are in a table beside it.

const NS = 'http://www.w3.org/2000/svg';

export interface Bar {
  label: string;
  value: number;
  text: string; // the value as written ("4,2 %", "12 j")
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// `max`: the scale's end (the largest value when absent); `limit`: a reference value drawn as a
// dashed line with its caption (an alert threshold).
export function barChart(title: string, bars: Bar[], opts: { max?: number; limit?: { value: number; text: string } } = {}): SVGSVGElement {
  const labelW = 180;
  const barW = 280;
  const valueW = 120;
  const rowH = 26;
  const top = opts.limit ? 18 : 4;
  const width = labelW + barW + valueW;
  const height = top + Math.max(1, bars.length) * rowH + 4;
  const max = Math.max(opts.max ?? 0, opts.limit?.value ?? 0, ...bars.map((b) => b.value), 1e-9);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': `${title} : ${bars.map((b) => `${b.label} ${b.text}`).join(', ') || 'aucune donnée'}`, class: 'chart' });
  svg.style.maxWidth = `${width * 1.6}px`;
  if (!bars.length) svg.appendChild(el('text', { x: labelW, y: top + 17, class: 'chart-empty' }, 'aucune donnée'));
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(b.value > 0 ? 2 : 0, (b.value / max) * barW);
    const label = b.label.length > 26 ? `${b.label.slice(0, 25)}…` : b.label;
    svg.appendChild(el('text', { x: labelW - 8, y: y + 17, 'text-anchor': 'end', class: 'chart-label' }, label));
    svg.appendChild(el('rect', { x: labelW, y: y + 4, width: w, height: rowH - 8, rx: 2, class: 'chart-bar' }));
    svg.appendChild(el('text', { x: labelW + w + 6, y: y + 17, class: 'chart-value' }, b.text));
  });
  if (opts.limit) {
    const x = labelW + (opts.limit.value / max) * barW;
    svg.appendChild(el('line', { x1: x, x2: x, y1: top - 2, y2: height - 2, class: 'chart-limit' }));
    svg.appendChild(el('text', { x, y: 12, 'text-anchor': 'middle', class: 'chart-limit-text' }, opts.limit.text));
  }
  return svg;
}
