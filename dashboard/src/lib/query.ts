// Filters → query strings, in one fixed order so URLs are stable (and testable). Empty filters are
// left out: the server reads an absent parameter as "any", an empty one would be a bad value.
import type { ReviewState, Status, Verdict } from './types';

export interface CommunityFilter {
  district?: string;
  item?: number | null;
  verdict?: Verdict | '';
  review?: ReviewState | '';
  q?: string;
}
export interface ProjectFilter {
  district?: string;
  item?: number | null;
  status?: Status | '';
  community?: string;
  target_year?: number | null;
}
export type ExportEntity = 'communities' | 'facilities' | 'gps_points' | 'findings' | 'projects';
export type ExportFormat = 'csv' | 'xlsx' | 'geojson';
export interface ExportRequest {
  entity: ExportEntity;
  format: ExportFormat;
  fields?: string[];
  district?: string;
  item?: number | null;
  status?: string;
}

function build(pairs: [string, string | number | null | undefined][]): string {
  const q = new URLSearchParams();
  for (const [k, v] of pairs) {
    if (v === undefined || v === null) continue;
    const s = String(v).trim();
    if (s !== '') q.set(k, s);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function communityQuery(f: CommunityFilter): string {
  return build([['district', f.district], ['item', f.item], ['verdict', f.verdict], ['review', f.review], ['q', f.q]]);
}

export function geojsonPath(f: CommunityFilter, geometry: 'point' | 'boundary' = 'point'): string {
  const q = communityQuery(f);
  const g = geometry === 'boundary' ? 'geometry=boundary' : '';
  return '/v1/office/communities.geojson' + (g ? (q ? `${q}&${g}` : `?${g}`) : q);
}

export function projectQuery(f: ProjectFilter): string {
  return build([['district', f.district], ['item', f.item], ['status', f.status], ['community', f.community], ['target_year', f.target_year]]);
}

export function reviewQuery(states: string[], district?: string): string {
  return build([['state', states.join(',')], ['district', district]]);
}

export function exportPath(r: ExportRequest): string {
  const fields = r.fields && r.fields.length ? r.fields.join(',') : undefined;
  return `/v1/office/exports/${r.entity}` + build([['format', r.format], ['fields', fields], ['district', r.district], ['item', r.item], ['status', r.status]]);
}

export function reportPath(year: number, format: 'xlsx' | 'html'): string {
  return `/v1/office/report` + build([['year', year], ['format', format]]);
}

/** The filter in the page's hash (#/map?district=…), so a view can be bookmarked and shared. */
export function filterFromParams(p: URLSearchParams): CommunityFilter {
  const item = Number(p.get('item'));
  const verdict = p.get('verdict');
  return {
    district: p.get('district') ?? '',
    item: Number.isInteger(item) && item >= 1 && item <= 20 ? item : null,
    verdict: verdict === 'complete' || verdict === 'not_complete' || verdict === 'undetermined' ? verdict : '',
    q: p.get('q') ?? '',
  };
}
