// The map's pieces that are not drawing: the colour expression (same bins as the legend, from
// status.ts) and the bounds to fit.
import { GAP_BINS, UNDETERMINED_COLOUR } from './status';

export interface Feature { type: 'Feature'; geometry: { type: string; coordinates: unknown } | null; properties: Record<string, unknown> }
export interface FeatureCollection { type: 'FeatureCollection'; features: Feature[] }

/** MapLibre expression: grey for "undetermined, no gap found", else the gap-count bin. */
export function colourExpression(): unknown[] {
  const step: unknown[] = ['step', ['to-number', ['get', 'gaps'], 0], GAP_BINS[0].colour];
  for (const b of GAP_BINS.slice(1)) step.push(b.min, b.colour);
  return ['case', ['all', ['==', ['get', 'verdict'], 'undetermined'], ['==', ['to-number', ['get', 'gaps'], 0], 0]], UNDETERMINED_COLOUR, step];
}

function walk(c: unknown, out: number[][]) {
  if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') out.push(c as number[]);
  else if (Array.isArray(c)) for (const x of c) walk(x, out);
}

/** [[west, south], [east, north]], or null when nothing has a place. */
export function bounds(fc: FeatureCollection): [[number, number], [number, number]] | null {
  const pts: number[][] = [];
  for (const f of fc.features) if (f.geometry) walk(f.geometry.coordinates, pts);
  if (!pts.length) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y); }
  return [[w, s], [e, n]];
}

/** A style with the configured XYZ raster tiles, or just a background: the map is usable either way. */
export function baseStyle(tiles: { url: string; attribution?: string } | null, background: string) {
  const sources: Record<string, unknown> = {};
  const layers: unknown[] = [{ id: 'bg', type: 'background', paint: { 'background-color': background } }];
  if (tiles) {
    sources.basemap = { type: 'raster', tiles: [tiles.url], tileSize: 256, attribution: tiles.attribution ?? '' };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return { version: 8, sources, layers };
}
