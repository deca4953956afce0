// The front end is plain JS; tests import its layout function.
declare module '*/web/graph.js' {
  export function layout(shape: { nodes: Array<{ id: string }>; edges: Array<{ from: string; to: string }> }): {
    positions: Map<string, { x: number; y: number }>;
    width: number;
    height: number;
  };
}
