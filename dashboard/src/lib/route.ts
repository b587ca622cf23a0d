// The screen lives in the URL hash (#/map?item=4, #/community/<id>) so the back button, reloads and
// shared links work without the server knowing the dashboard's routes.
export type Screen = 'overview' | 'map' | 'community' | 'reviews' | 'conflicts' | 'projects' | 'reports';
export interface Route { screen: Screen; id?: string; params: URLSearchParams }

const SCREENS: Screen[] = ['overview', 'map', 'community', 'reviews', 'conflicts', 'projects', 'reports'];

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path, query = ''] = h.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  const screen = SCREENS.includes(parts[0] as Screen) ? (parts[0] as Screen) : 'overview';
  if (screen === 'community' && !parts[1]) return { screen: 'map', params: new URLSearchParams() };
  return { screen, id: screen === 'community' ? parts[1] : undefined, params: new URLSearchParams(query) };
}

export function hashFor(screen: Screen, id?: string, params?: Record<string, string | number | null | undefined>): string {
  let h = `#/${screen}${id ? `/${encodeURIComponent(id)}` : ''}`;
  if (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && String(v) !== '') q.set(k, String(v));
    const s = q.toString();
    if (s) h += `?${s}`;
  }
  return h;
}
