import { describe, it, expect } from 'vitest';
import { surveyGeo, sketchProjection, bboxOf } from './geo';
import type { Survey } from './types';

const survey: Survey = {
  community: { id: 'c', name: '紫阳社区', boundary: { ring: [[114.30, 30.54], [114.31, 30.54], [114.31, 30.55]], method: 'gps_polygon' } },
  facilities: [
    { id: 'f1', kind: 'kindergarten', name: '紫阳幼儿园', position: { lon: 114.305, lat: 30.545 } },
    { id: 'f2', kind: 'laundry' },
  ],
  gps_points: [{ id: 'g1', lon: 114.301, lat: 30.541, label: '1. 服务站' }],
};

describe('survey geometry', () => {
  it('closes the boundary ring and keeps positioned facilities', () => {
    const g = surveyGeo(survey, (k) => (k === 'kindergarten' ? '幼儿园' : k));
    const poly = g.boundary.features[0].geometry;
    expect(poly.type).toBe('Polygon');
    if (poly.type === 'Polygon') expect(poly.coordinates[0]).toHaveLength(4);
    expect(g.facilities.features).toHaveLength(1);
    expect(g.facilities.features[0].properties.name).toBe('幼儿园：紫阳幼儿园');
    expect(g.points.features).toHaveLength(1);
    expect(g.bbox).toEqual([114.30, 30.54, 114.31, 30.55]);
  });

  it('has no bbox with nothing placed', () => {
    expect(surveyGeo({ community: { id: 'c', name: 'x' } }).bbox).toBeNull();
    expect(bboxOf([])).toBeNull();
  });

  it('projects north-up into the box with metres square', () => {
    const p = sketchProjection([114.30, 30.54, 114.31, 30.55], 800, 600, 20);
    const [x0, y0] = p([114.30, 30.54]);
    const [x1, y1] = p([114.31, 30.55]);
    expect(x1).toBeGreaterThan(x0);
    expect(y1).toBeLessThan(y0); // north is up
    const k = Math.cos((30.545 * Math.PI) / 180);
    expect((x1 - x0) / (y0 - y1)).toBeCloseTo(k, 6);
    for (const v of [x0, x1]) expect(v).toBeGreaterThanOrEqual(20 - 1e-9);
    for (const v of [y0, y1]) expect(v).toBeLessThanOrEqual(580 + 1e-9);
  });
});
