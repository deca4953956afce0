// Flow graphs: a layered (Sugiyama-style) layout written here rather than a bundled library —
// flows are DAGs with known sizes, the layout is ~80 lines, and the page stays dependency-free.
// Layers: longest path from the sources; order within a layer: a few barycenter sweeps.
import { svg } from './dom.js';
import { short, statusClass } from './format.js';

const NODE_W = 150;
const NODE_H = 44;
const GAP_X = 50;
const GAP_Y = 24;

/** Positions for `{ nodes, edges }` (edges from → to: to needs from); left to right. */
export function layout(shape) {
  const ids = shape.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = ids.map(() => []);
  const succs = ids.map(() => []);
  for (const { from, to } of shape.edges) {
    const a = index.get(from);
    const b = index.get(to);
    if (a === undefined || b === undefined) continue;
    preds[b].push(a);
    succs[a].push(b);
  }
  // Kahn's order gives each node its layer: one past its deepest predecessor.
  const layer = ids.map(() => 0);
  const indegree = preds.map((p) => p.length);
  const queue = ids.map((_, i) => i).filter((i) => indegree[i] === 0);
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head];
    for (const j of succs[i]) {
      layer[j] = Math.max(layer[j], layer[i] + 1);
      if (--indegree[j] === 0) queue.push(j);
    }
  }
  const layers = [];
  for (let i = 0; i < ids.length; i++) (layers[layer[i]] ??= []).push(i);
  const pos = new Array(ids.length).fill(0);
  const place = () => layers.forEach((l) => l.forEach((n, k) => (pos[n] = k)));
  place();
  const mean = (list) => (list.length === 0 ? null : list.reduce((s, n) => s + pos[n], 0) / list.length);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers : [...layers].reverse();
    for (const l of order) {
      const key = new Map(l.map((n) => [n, mean(down ? preds[n] : succs[n]) ?? pos[n]]));
      l.sort((a, b) => key.get(a) - key.get(b));
      l.forEach((n, k) => (pos[n] = k));
    }
  }
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const positions = new Map();
  layers.forEach((l, x) => {
    const offset = ((tallest - l.length) * (NODE_H + GAP_Y)) / 2;
    l.forEach((n, k) => positions.set(ids[n], { x: 10 + x * (NODE_W + GAP_X), y: 10 + offset + k * (NODE_H + GAP_Y) }));
  });
  return { positions, width: 20 + layers.length * (NODE_W + GAP_X) - GAP_X, height: 20 + tallest * (NODE_H + GAP_Y) - GAP_Y };
}

/**
 * Draws the graph; returns the SVG and `update(statusById)`, which recolours and relabels nodes in
 * place (no re-layout), so live updates of a large flow stay cheap. `statusById` null: a flow's
 * static shape, drawn without statuses.
 */
export function drawGraph(shape, statusById = new Map()) {
  const { positions, width, height } = layout(shape);
  const root = svg('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'flow graph' });
  const edges = svg('g', { class: 'edges' });
  for (const { from, to } of shape.edges) {
    const a = positions.get(from);
    const b = positions.get(to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    edges.append(svg('path', { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
  }
  root.append(edges);
  const nodes = new Map();
  for (const { id } of shape.nodes) {
    const p = positions.get(id);
    const statusText = svg('text', { x: p.x + 10, y: p.y + 34, class: 'node-status' });
    const group = svg(
      'g',
      { class: 'node', 'data-step': id },
      svg('title', {}, id),
      svg('rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 6 }),
      svg('text', { x: p.x + 10, y: p.y + 18, class: 'node-name' }, short(id, 20)),
      statusText,
    );
    nodes.set(id, { group, statusText });
    root.append(group);
  }
  const update = (statuses) => {
    if (statuses === null) {
      for (const { group } of nodes.values()) group.setAttribute('class', 'node static');
      return;
    }
    for (const [id, { group, statusText }] of nodes) {
      const status = statusClass(statuses.get(id) ?? 'pending');
      group.setAttribute('class', `node s-${status}`);
      group.setAttribute('data-status', status);
      statusText.textContent = status;
    }
  };
  update(statusById);
  return { element: root, update };
}
