// The survey's places as GeoJSON for the map, and a simple projection for the sketch shown when
// no WebGL map can be drawn. Coordinates stay WGS-84 lon/lat.
import type { Survey } from './types';

export interface Feature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: [number, number] } | { type: 'Polygon'; coordinates: [number, number][][] };
  properties: Record<string, string | number>;
}
export interface Collection {
  type: 'FeatureCollection';
  features: Feature[];
}

export interface SurveyGeo {
  boundary: Collection;
  facilities: Collection;
  points: Collection;
  bbox: [number, number, number, number] | null;
}

const fc = (features: Feature[]): Collection => ({ type: 'FeatureCollection', features });

export function surveyGeo(s: Survey, facilityName: (kind: string) => string = (k) => k): SurveyGeo {
  const boundary: Feature[] = [];
  const ring = s.community.boundary?.ring;
  if (ring && ring.length >= 3) {
    const closed = [...ring];
    const [f, l] = [closed[0], closed[closed.length - 1]];
    if (f[0] !== l[0] || f[1] !== l[1]) closed.push(f);
    boundary.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [closed] }, properties: { name: s.community.name } });
  }
  const facilities: Feature[] = [];
  for (const f of s.facilities ?? []) {
    const p = f.position as { lon: number; lat: number } | undefined;
    if (!p || !Number.isFinite(p.lon) || !Number.isFinite(p.lat)) continue;
    facilities.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { id: f.id, kind: f.kind, name: f.name ? `${facilityName(f.kind)}：${f.name}` : facilityName(f.kind) },
    });
  }
  const points: Feature[] = [];
  for (const g of s.gps_points ?? []) {
    if (!Number.isFinite(g.lon) || !Number.isFinite(g.lat)) continue;
    // Boundary-walk fixes are many: only labelled points and facility points are shown as points.
    points.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [g.lon, g.lat] }, properties: { id: g.id, name: g.label ?? '' } });
  }
  return { boundary: fc(boundary), facilities: fc(facilities), points: fc(points), bbox: bboxOf([...boundary, ...facilities, ...points]) };
}

export function bboxOf(features: Feature[]): [number, number, number, number] | null {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const add = ([x, y]: [number, number]) => {
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  };
  for (const f of features) {
    if (f.geometry.type === 'Point') add(f.geometry.coordinates);
    else f.geometry.coordinates.forEach((r) => r.forEach(add));
  }
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : null;
}

/** A projection of lon/lat into a `width`×`height` box with `pad` around, north up, metres kept
 * square (longitude scaled by cos(latitude)). */
export function sketchProjection(bbox: [number, number, number, number], width: number, height: number, pad = 20) {
  const [minX, minY, maxX, maxY] = bbox;
  const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
  const w = Math.max((maxX - minX) * k, 1e-6);
  const h = Math.max(maxY - minY, 1e-6);
  const scale = Math.min((width - 2 * pad) / w, (height - 2 * pad) / h);
  const ox = (width - w * scale) / 2;
  const oy = (height - h * scale) / 2;
  return ([lon, lat]: [number, number]): [number, number] => [ox + (lon - minX) * k * scale, height - (oy + (lat - minY) * scale)];
}
