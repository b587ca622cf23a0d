// The one place that talks to the server (docs/office-api.md). Every failure becomes an ApiError
// with the server's stable `code`, so screens can say what to do and tests can check it.
import type {
  CommunityPage, CommunityRow, Config, Conflict, ProjectEdit, ProjectView, Review, Session,
  Status, Summary,
} from './types';
import {
  communityQuery, exportPath, geojsonPath, projectQuery, reportPath, reviewQuery, type CommunityFilter,
  type ExportRequest, type ProjectFilter,
} from './query';
import type { FeatureCollection } from './geo';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads the sync protocol's `{"error": {code, message, field}}`; anything else (a proxy's HTML
 *  page, an empty 502) still yields a code, so nothing shows "undefined". */
export async function errorFrom(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* a body cut off: fall through to the status */
  }
  try {
    const body = JSON.parse(text);
    const e = body?.error;
    if (e && typeof e.code === 'string') {
      return new ApiError(res.status, e.code, typeof e.message === 'string' ? e.message : e.code, typeof e.field === 'string' ? e.field : undefined);
    }
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText || `HTTP ${res.status}`);
}

export interface Download { blob: Blob; filename: string }

/** `filename*=UTF-8''…` first (Chinese names), then a plain `filename=`. */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* malformed: try the plain one */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1].trim() : fallback;
}

export class Api {
  token: string | null = null;
  /** Called on 401 so the shell can go back to sign-in (an expired session is normal at 12 h). */
  onUnauthorized: ((e: ApiError) => void) | null = null;

  constructor(public fetchImpl: FetchLike, private readonly base = '') {}

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
    }
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401 && path !== '/v1/office/session') this.onUnauthorized?.(err);
      throw err;
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', 'the server answered with something that is not JSON');
    }
  }

  async signIn(name: string, password: string): Promise<Session> {
    const s = await this.json<Session>('POST', '/v1/office/session', { name, password });
    this.token = s.token ?? null;
    return s;
  }
  async signOut(): Promise<void> {
    try {
      if (this.token) await this.send('DELETE', '/v1/office/session');
    } finally {
      this.token = null;
    }
  }
  me() { return this.json<Session>('GET', '/v1/office/me'); }
  config() { return this.json<Config>('GET', '/v1/office/config'); }
  summary(year?: number, district?: string) {
    const q = new URLSearchParams();
    if (year) q.set('year', String(year));
    if (district) q.set('district', district);
    const s = q.toString();
    return this.json<Summary>('GET', '/v1/office/summary' + (s ? `?${s}` : ''));
  }
  communities(f: CommunityFilter) {
    return this.json<{ communities: CommunityRow[]; total: number }>('GET', '/v1/office/communities' + communityQuery(f));
  }
  geojson(f: CommunityFilter) {
    return this.json<FeatureCollection>('GET', geojsonPath(f));
  }
  community(id: string) {
    return this.json<CommunityPage>('GET', `/v1/office/communities/${encodeURIComponent(id)}`);
  }
  reviews(states: string[], district?: string) {
    return this.json<{ reviews: Review[] }>('GET', '/v1/office/reviews' + reviewQuery(states, district));
  }
  approve(community: string, round: number) {
    return this.json<Review>('POST', `/v1/office/reviews/${encodeURIComponent(community)}/approve`, { round });
  }
  returnItems(community: string, round: number, items: { item: number; reason: string }[]) {
    return this.json<Review>('POST', `/v1/office/reviews/${encodeURIComponent(community)}/return`, { round, items });
  }
  conflicts(district?: string) {
    const q = district ? `?district=${encodeURIComponent(district)}` : '';
    return this.json<{ conflicts: Conflict[] }>('GET', '/v1/office/conflicts' + q);
  }
  resolve(id: string, pick: number) {
    return this.json<{ resolved: Conflict; change_seq: number }>('POST', `/v1/office/conflicts/${encodeURIComponent(id)}/resolve`, { pick });
  }
  projects(f: ProjectFilter) {
    return this.json<{ projects: ProjectView[]; total: number; cost_yuan: number }>('GET', '/v1/office/projects' + projectQuery(f));
  }
  propose(base_year: number, community?: string) {
    return this.json<{ created: ProjectView[]; kept: number }>('POST', '/v1/office/projects/propose', { base_year, community, include_advisory: false });
  }
  /** Project ids hold `/` (`{community}/{item}/{way}`): one encoded path segment. */
  editProject(id: string, edit: ProjectEdit) {
    return this.json<ProjectView>('PATCH', `/v1/office/projects/${encodeURIComponent(id)}`, edit);
  }
  moveProject(id: string, revision: number, to: Status, date: string) {
    return this.json<ProjectView>('POST', `/v1/office/projects/${encodeURIComponent(id)}/status`, { revision, to, date });
  }
  /** A file behind the Bearer token: fetched, then handed over as a blob. */
  async download(path: string, fallbackName: string): Promise<Download> {
    const res = await this.send('GET', path);
    return { blob: await res.blob(), filename: filenameFrom(res.headers.get('Content-Disposition'), fallbackName) };
  }
  exportFile(req: ExportRequest) {
    return this.download(exportPath(req), `${req.entity}.${req.format}`);
  }
  report(year: number, format: 'xlsx' | 'html') {
    return this.download(reportPath(year, format), `完整居住社区年度报告-${year}.${format}`);
  }
  /** `<img src>` cannot carry the token: the photo's bytes as a blob. */
  async photo(url: string): Promise<Blob> {
    const res = await this.send('GET', url);
    return res.blob();
  }
}
