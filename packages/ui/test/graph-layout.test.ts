// The front end's layered layout (src/web/graph.js), run in Node: it needs no DOM to place nodes.
import { layout } from '../src/web/graph.js';

interface Shape {
  nodes: Array<{ id: string }>;
  edges: Array<{ from: string; to: string }>;
}

function check(shape: Shape): Map<string, { x: number; y: number }> {
  const { positions } = layout(shape) as { positions: Map<string, { x: number; y: number }> };
  expect(positions.size).toBe(shape.nodes.length);
  // Every step is drawn right of everything it needs.
  for (const { from, to } of shape.edges)
    expect((positions.get(to) as { x: number }).x).toBeGreaterThan((positions.get(from) as { x: number }).x);
  // No two steps share a place.
  expect(new Set([...positions.values()].map((p) => `${p.x},${p.y}`)).size).toBe(shape.nodes.length);
  return positions;
}

describe('flow graph layout', () => {
  test('a diamond: fan-out steps share a column', () => {
    const p = check({
      nodes: ['fetch', 'sum', 'count', 'mean'].map((id) => ({ id })),
      edges: [
        { from: 'fetch', to: 'sum' },
        { from: 'fetch', to: 'count' },
        { from: 'sum', to: 'mean' },
        { from: 'count', to: 'mean' },
      ],
    });
    expect(p.get('sum')?.x).toBe(p.get('count')?.x);
  });

  test('a 1,000-step flow (chains and fans) is laid out', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({ id: `s${i}` }));
    const edges = nodes.slice(1).map((n, i) => ({ from: `s${Math.floor(i / 10) * 10}`, to: n.id }));
    check({ nodes, edges });
  });
});
