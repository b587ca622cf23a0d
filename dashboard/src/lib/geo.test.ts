import { describe, expect, it } from 'vitest';
import { baseStyle, bounds, colourExpression } from './geo';
import { GAP_BINS, UNDETERMINED_COLOUR } from './status';

describe('geo', () => {
  it('bounds over points and polygons; null when nothing is placed', () => {
    expect(bounds({ type: 'FeatureCollection', features: [] })).toBeNull();
    expect(bounds({ type: 'FeatureCollection', features: [
      { type: 'Feature', geometry: { type: 'Point', coordinates: [114.3, 30.5] }, properties: {} },
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[114.1, 30.6], [114.4, 30.4], [114.2, 30.7], [114.1, 30.6]]] }, properties: {} },
      { type: 'Feature', geometry: null, properties: {} },
    ] })).toEqual([[114.1, 30.4], [114.4, 30.7]]);
  });
  it('colour expression follows the legend bins', () => {
    const e = colourExpression() as unknown[];
    expect(e[2]).toBe(UNDETERMINED_COLOUR);
    const step = e[3] as unknown[];
    expect(step.slice(2)).toEqual([GAP_BINS[0].colour, 1, GAP_BINS[1].colour, 3, GAP_BINS[2].colour, 6, GAP_BINS[3].colour]);
  });
  it('style with and without tiles', () => {
    expect(baseStyle(null, '#eee').layers).toHaveLength(1);
    const s = baseStyle({ url: 'https://t/{z}/{x}/{y}.png' }, '#eee');
    expect(s.layers).toHaveLength(2);
    expect((s.sources.basemap as { tiles: string[] }).tiles[0]).toContain('{z}');
  });
});
