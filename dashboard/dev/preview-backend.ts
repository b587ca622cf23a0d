// DEV-ONLY preview backend. Answers the /v1/office routes of docs/office-api.md from an in-memory
// city (武汉市, made-up communities around a real evaluation captured from the evaluator), so the
// dashboard can be looked at before the server routes exist. Loaded only under
// `vite --mode preview-dev`; never in dist/, never used by tests. Sign in with any name and the
// password `preview`. XLSX downloads are refused (only the real server makes workbooks).
import type {
  AreaCoverage, CommunityPage, CommunityRow, Conflict, Evaluation, HistoryEntry, ItemShortfall,
  ProjectView, Review, ReviewState, Status, Survey, Way,
} from '../src/lib/types';
import wuhanEval from './fixtures/wuhan-old-estate.evaluation.json';
import wuhanSurvey from './fixtures/wuhan-old-estate.survey.json';

const BASE = wuhanEval as unknown as Evaluation;
const SURVEY = wuhanSurvey as unknown as Survey;

// A small deterministic generator, so every reload shows the same city.
let seed = 20261130;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];

const DISTRICTS: [string, number, number, string[]][] = [
  ['江岸区', 114.305, 30.6, ['大智街道', '一元街道', '车站街道', '四唯街道']],
  ['江汉区', 114.268, 30.595, ['民族街道', '花楼街道', '水塔街道', '前进街道']],
  ['硚口区', 114.232, 30.578, ['六角亭街道', '汉正街道', '宝丰街道']],
  ['汉阳区', 114.22, 30.552, ['建桥街道', '鹦鹉街道', '晴川街道']],
  ['武昌区', 114.318, 30.548, ['紫阳街道', '首义路街道', '积玉桥街道', '中华路街道']],
  ['青山区', 114.39, 30.628, ['红卫路街道', '新沟桥街道', '冶金街道']],
  ['洪山区', 114.37, 30.5, ['珞南街道', '关山街道', '狮子山街道']],
];
const NAMES = ['友谊', '解放', '民主', '和平', '新华', '长青', '建设', '桃源', '幸福', '工人', '花园', '仁和', '复兴', '滨江', '翠柳', '南湖', '东亭', '丽水', '兴业', '文华'];
const GAP_POOL = [1, 2, 7, 8, 9, 10, 12, 14, 17];
const SURVEYORS = ['张工', '李明', '王晓燕', '陈志强', '刘芳'];

interface Rec { row: CommunityRow; round: number; returns: Review['returns']; submitted_by: string }
const recs: Rec[] = [];
function makeCommunity(i: number, name: string, d: (typeof DISTRICTS)[number], street: string, gapItems: number[], review: ReviewState) {
  const id = `0190c3a0-5b1e-7c4d-8a11-${String(1000 + i).padStart(12, '0')}`;
  recs.push({
    row: {
      id, name, district: d[0], street, residents_committee: `${name}居委会`, kind: rnd() < 0.8 ? 'existing' : 'new',
      verdict: gapItems.length ? 'not_complete' : rnd() < 0.3 ? 'undetermined' : 'complete',
      gaps: gapItems.length, gap_items: gapItems,
      surveyed_at: `2026-${String(5 + Math.floor(rnd() * 5)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 27)).padStart(2, '0')}T${String(9 + Math.floor(rnd() * 8)).padStart(2, '0')}:${String(Math.floor(rnd() * 60)).padStart(2, '0')}:00+08:00`,
      review, point: rnd() < 0.95 ? { lon: d[1] + (rnd() - 0.5) * 0.06, lat: d[2] + (rnd() - 0.5) * 0.045 } : null,
    },
    round: review === 'resubmitted' ? 2 : 1,
    returns: review === 'resubmitted' || review === 'returned'
      ? [{ item: 4, reason: '老年服务站面积只有照片，请补充卷尺测量或房产证明', round: 1, at: '2026-10-12T15:02:00+08:00', by: '王规划' }]
      : [],
    submitted_by: pick(SURVEYORS),
  });
}
makeCommunity(0, '紫阳社区', DISTRICTS[4], '紫阳街道', BASE.summary.gap_items, 'submitted');
let n = 1;
for (const d of DISTRICTS) {
  const count = 6 + Math.floor(rnd() * 5);
  for (let k = 0; k < count; k++) {
    // Most surveyed communities lack one or two things; a few old estates lack many.
    const gaps = rnd() < 0.3 ? [] : GAP_POOL.filter(() => rnd() < 0.14 + (d[0] === '硚口区' ? 0.15 : 0));
    const review: ReviewState = pick(['approved', 'approved', 'approved', 'submitted', 'unsubmitted', 'resubmitted', 'returned']);
    makeCommunity(n++, `${pick(NAMES)}${pick(['里', '路', '村', '苑', '街', ''])}社区`, d, pick(d[3]), gaps, review);
  }
}
// Names must be unique in a list people scan.
const seen = new Map<string, number>();
for (const r of recs) { const c = seen.get(r.row.name) ?? 0; seen.set(r.row.name, c + 1); if (c) r.row.name = r.row.name.replace('社区', `${'二三四五六'[c - 1] ?? c}社区`); }

/** The captured evaluation, bent to this community's gaps: items not in its gap list are met. */
function evaluationFor(r: CommunityRow): Evaluation {
  const e = structuredClone(BASE);
  e.community = { id: r.id, name: r.name };
  for (const it of e.items) {
    if (it.status === 'gap' && !r.gap_items.includes(it.item)) {
      it.status = 'met';
      for (const c of it.checks) if (c.status === 'not_met') { c.status = 'met'; c.measured = c.required && 'value' in c.required ? { value: c.required.value, unit: c.required.unit } : true; c.details = []; }
    }
  }
  e.summary = { ...e.summary, verdict: r.verdict, gaps: r.gap_items.length, gap_items: r.gap_items, met: e.items.filter((i) => i.status === 'met').length };
  return e;
}

// Projects: one per gap item of each not-complete community, from the evaluation's lines.
const WAY_OF: Record<number, Way> = { 1: 'renovate', 2: 'swap', 7: 'build', 8: 'lease', 9: 'renovate', 10: 'build', 12: 'renovate', 14: 'build', 17: 'manage' };
const UNIT_COST: Record<string, number> = { m2: 6500, count: 45000 };
const STATUS_FLOW: Status[] = ['planned', 'funded', 'under_construction', 'completed', 'accepted'];
const projects: ProjectView[] = [];
for (const r of recs) {
  if (!r.row.gap_items.length) continue;
  const ev = evaluationFor(r.row);
  for (const item of r.row.gap_items) {
    const it = ev.items.find((x) => x.item === item)!;
    const way = WAY_OF[item] ?? 'renovate';
    const lines = it.checks.filter((c) => c.status === 'not_met' && c.strength === 'binding').map((c) => {
      const req = c.required && 'value' in c.required ? c.required : undefined;
      const got = typeof c.measured === 'object' && c.measured && 'value' in c.measured ? c.measured.value : 0;
      const short = req ? { value: Math.abs(req.value - got), unit: req.unit, ...(req.op === 'at_most' ? { over: true } : {}) } : undefined;
      const price = short && UNIT_COST[short.unit] ? short.value * UNIT_COST[short.unit] : undefined;
      return {
        check: c.check, title_zh: c.title_zh, strength: c.strength, required: c.required, measured: c.measured, shortfall: short,
        cost_yuan: way === 'manage' ? undefined : price,
        cost_note: way === 'manage' ? '管理措施，不估算投资' : price !== undefined ? `${short!.value} × ${UNIT_COST[short!.unit]} 元（单价表）` : '单价表无此项单价',
      };
    });
    const costs = lines.map((l) => l.cost_yuan).filter((x): x is number => x !== undefined);
    const st = r.row.review === 'approved' ? pick(STATUS_FLOW.slice(0, 4)) : 'planned';
    const history = STATUS_FLOW.slice(0, STATUS_FLOW.indexOf(st) + 1).map((s, i) => ({ status: s, date: `2026-${String(1 + i * 2).padStart(2, '0')}-${String(5 + i * 3).padStart(2, '0')}` }));
    projects.push({
      id: `${r.row.id}/${item}/${way}`, community: r.row.id, community_name: r.row.name, city: '武汉市', district: r.row.district ?? undefined,
      item, item_name_zh: it.name_zh, way,
      way_reason_zh: way === 'swap' ? '用地不足，宜通过置换取得更大场地（建设标准：用地紧张的可采取置换方式）' : way === 'lease' ? '便民商业网点可租赁底商' : way === 'manage' ? '非建设项目：完善物业管理服务平台' : '既有设施改造达标',
      lines, cost_yuan: costs.length ? costs.reduce((a, b) => a + b, 0) : undefined, cost_complete: costs.length === lines.length,
      priority: { tier: item === 9 ? 'drainage_first' : [4, 3, 2, 5, 1, 12].includes(item) ? 'residents_needs' : 'other', gap_share: rnd(), rank: 0 },
      target_year: item === 9 ? 2027 : 2027 + Math.floor(rnd() * 3), status: st, history, revision: 1, note: '',
      shortfall_office: null, cost_office_yuan: null, closure: st === 'accepted' ? { closed: 'closed' } : null,
    });
  }
}
const TIER_ORDER = { drainage_first: 0, residents_needs: 1, other: 2 } as const;
projects.sort((a, b) => TIER_ORDER[a.priority.tier] - TIER_ORDER[b.priority.tier] || b.priority.gap_share - a.priority.gap_share);
projects.forEach((p, i) => (p.priority.rank = i + 1));

const conflicts: Conflict[] = [
  { id: 'cf-1', community: recs[0].row.id, community_name: recs[0].row.name, district: '武昌区', entity: '0190c3a0-5b1e-7c4d-8a11-000000000101', kind: 'facility', field: 'building_area_m2', item: 1, label_zh: '紫阳社区党群服务中心 · 建筑面积（m²）', label_en: 'Service centre · building area (m²)', detected_at: '2026-11-20T16:40:00+08:00', kept: 1, candidates: [
    { value: 620, hlc: '…a', at: '2026-11-19T10:02:00+08:00', author: { user: '张工', device: 'tablet-03' } },
    { value: 652.5, hlc: '…b', at: '2026-11-19T10:05:00+08:00', author: { user: '李明', device: 'tablet-07' } }] },
  { id: 'cf-2', community: recs[3].row.id, community_name: recs[3].row.name, district: recs[3].row.district, entity: 'x', kind: 'community', field: 'households', item: null, label_zh: '社区户数', label_en: 'Households', detected_at: '2026-11-21T09:12:00+08:00', kept: 0, candidates: [
    { value: 2840, hlc: '…c', at: '2026-11-20T14:30:00+08:00', author: { user: '王晓燕', device: 'tablet-02' } },
    { value: 2480, hlc: '…d', at: '2026-11-20T15:01:00+08:00', author: { user: '陈志强', device: 'tablet-05' } }] },
  { id: 'cf-3', community: recs[8].row.id, community_name: recs[8].row.name, district: recs[8].row.district, entity: 'y', kind: 'observation', field: 'observations.utility.drainage', item: 9, label_zh: '排水设施完好、运行安全（含排水防涝、雨污分流，无混错接）', label_en: 'Drainage sound and safe', detected_at: '2026-11-22T11:00:00+08:00', kept: 0, candidates: [
    { value: true, hlc: '…e', at: '2026-11-21T09:00:00+08:00', author: { user: '刘芳', device: 'tablet-01' } },
    { value: false, hlc: '…f', at: '2026-11-21T09:20:00+08:00', author: { user: '张工', device: 'tablet-03' } }] },
];

const reviewOf = (r: Rec): Review => ({
  community: r.row.id, community_name: r.row.name, district: r.row.district, state: r.row.review, round: r.round,
  // A resubmission comes after the return it answers.
  submitted_at: r.round > 1 ? `2026-11-0${1 + (r.row.gaps % 8)}T09:30:00+08:00` : r.row.surveyed_at, submitted_by: r.submitted_by,
  verdict: r.row.verdict, gaps: r.row.gaps, gap_items: r.row.gap_items, returns: r.returns,
});

function coverage(rows: CommunityRow[], district?: string): AreaCoverage {
  const c = rows.filter((r) => r.verdict === 'complete').length;
  return { city: '武汉市', district, communities: rows.length, complete: c, not_complete: rows.filter((r) => r.verdict === 'not_complete').length, undetermined: rows.filter((r) => r.verdict === 'undetermined').length, gaps: rows.reduce((a, r) => a + r.gaps, 0), coverage: rows.length ? c / rows.length : 0 };
}

function summary(district: string | null) {
  const rows = recs.map((r) => r.row).filter((r) => !district || r.district === district);
  const items: ItemShortfall[] = BASE.items.map((it) => {
    const gap = rows.filter((r) => r.gap_items.includes(it.item)).length;
    const checks = it.checks.filter((c) => c.status === 'not_met' && c.required && 'unit' in c.required).map((c) => {
      const req = c.required as { value: number; unit: 'm2' | 'count' };
      const got = typeof c.measured === 'object' && c.measured && 'value' in c.measured ? c.measured.value : 0;
      return { check: c.check, title_zh: c.title_zh, communities: gap, unit: req.unit, total: Math.abs(req.value - got) * gap };
    });
    return { item: it.item, name_zh: it.name_zh, gap, advisory: it.status === 'advisory' ? Math.round(rows.length * 0.3) : 0, not_surveyed: rows.filter((r) => r.verdict === 'undetermined').length && it.item % 5 === 0 ? 2 : 0, met: rows.length - gap, not_applicable: 0, checks: gap ? checks : [] };
  });
  const dists = DISTRICTS.map((d) => coverage(rows.filter((r) => r.district === d[0]), d[0])).filter((d) => d.communities);
  const city = coverage(rows);
  // Last year: fewer surveyed, fewer complete (a plausible year of progress, not data).
  const lastYear = (x: number, share: number) => Math.max(0, Math.floor(x * share));
  const by = (s: ReviewState) => recs.filter((r) => r.row.review === s && (!district || r.row.district === district)).length;
  const ps = projects.filter((p) => !district || p.district === district);
  const count = (s: Status) => ps.filter((p) => p.status === s).length;
  return {
    city: '武汉市', year: 2026, compared_with: 2025, coverage: { cities: [city], districts: dists }, items,
    year_on_year: {
      from: 2025, to: 2026,
      cities: [{ city: '武汉市', communities: { from: city.communities - 6, to: city.communities }, complete: { from: lastYear(city.complete, 0.7), to: city.complete }, coverage: { from: lastYear(city.complete, 0.7) / (city.communities - 6), to: city.coverage } }],
      districts: dists.map((d) => ({ city: '武汉市', district: d.district, communities: { from: d.communities, to: d.communities }, complete: { from: lastYear(d.complete, 0.7), to: d.complete }, coverage: { from: lastYear(d.complete, 0.7) / d.communities, to: d.coverage } })),
      items: items.map((i) => ({ item: i.item, name_zh: i.name_zh, gap: { from: i.gap + (i.gap ? Math.round(i.gap * 0.4) : 0), to: i.gap } })),
    },
    review: { submitted: by('submitted'), resubmitted: by('resubmitted'), returned: by('returned'), approved: by('approved'), unsubmitted: by('unsubmitted') },
    conflicts: conflicts.length,
    projects: { planned: count('planned'), funded: count('funded'), under_construction: count('under_construction'), completed: count('completed'), accepted: count('accepted'), cost_yuan: ps.reduce((a, p) => a + (p.cost_office_yuan ?? p.cost_yuan ?? 0), 0) },
  };
}

function filterRows(q: URLSearchParams) {
  const item = Number(q.get('item'));
  return recs.map((r) => r.row).filter((r) =>
    (!q.get('district') || r.district === q.get('district')) && (!item || r.gap_items.includes(item)) &&
    (!q.get('verdict') || r.verdict === q.get('verdict')) && (!q.get('review') || r.review === q.get('review')) &&
    (!q.get('q') || `${r.name}${r.street}`.includes(q.get('q')!)));
}

/** A placeholder picture (clearly drawn, not a photo) so the photo grid and dialog can be seen. */
function photoSvg(label: string, hue: number) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="hsl(${hue},35%,72%)"/><rect x="120" y="150" width="400" height="230" fill="hsl(${hue},20%,88%)" stroke="#333" stroke-width="4"/><rect x="280" y="270" width="80" height="110" fill="#555"/><text x="320" y="90" font-size="34" text-anchor="middle" font-family="sans-serif" fill="#222">${label}</text><text x="320" y="440" font-size="22" text-anchor="middle" font-family="sans-serif" fill="#222">预览占位图</text></svg>`;
}

function page(id: string): CommunityPage | null {
  const r = recs.find((x) => x.row.id === id);
  if (!r) return null;
  const survey = structuredClone(SURVEY);
  survey.community = { ...survey.community, id, name: r.row.name, district: r.row.district, street: r.row.street, residents_committee: r.row.residents_committee };
  const photos = [
    { item: 1, caption: '社区综合服务站入口' }, { item: 2, caption: '幼儿园外景' }, { item: 12, caption: '3 号楼入口台阶，无坡道' }, { item: 14, caption: '公共活动场地' },
  ].map((p, i) => ({ id: `ph-${i}`, sha256: `${'abcdef0123456789'[i]}`.repeat(64), item: p.item, facility: null, caption: p.caption, taken_at: `${String(r.row.surveyed_at).slice(0, 10)}T10:${String(10 + i * 7)}:00+08:00`, url: `/v1/photos/${`${'abcdef0123456789'[i]}`.repeat(64)}` }));
  photos.push({ id: 'ph-missing', sha256: 'f'.repeat(64), item: 7, facility: null, caption: '智能快件箱', taken_at: `${String(r.row.surveyed_at).slice(0, 10)}T11:02:00+08:00`, url: `/v1/photos/${'f'.repeat(64)}` });
  const history: HistoryEntry[] = [
    { seq: 912, at: '2026-11-20T16:41:00+08:00', author: { user: '王规划' }, entity: 'c', kind: 'community', field: 'items.4.returned', value: '老年服务站面积只有照片，请补充卷尺测量或房产证明', source: 'office' },
    { seq: 871, at: '2026-09-14T11:20:00+08:00', author: { user: r.submitted_by, device: 'tablet-03' }, entity: 'f', kind: 'facility', field: 'building_area_m2', value: 620, source: 'device' },
    { seq: 865, at: '2026-09-14T11:02:00+08:00', author: { user: r.submitted_by, device: 'tablet-03' }, entity: 'f', kind: 'facility', field: 'compartments', value: 720, source: 'device' },
    { seq: 840, at: '2026-09-14T10:31:00+08:00', author: { user: r.submitted_by, device: 'tablet-03' }, entity: 'o', kind: 'community', field: 'observations.utility.drainage', value: false, source: 'device' },
    { seq: 812, at: '2026-09-14T10:20:00+08:00', author: { user: r.submitted_by, device: 'tablet-03' }, entity: 'c', kind: 'community', field: 'households', value: 3120, source: 'device' },
  ];
  return { community: r.row, survey, evaluation: evaluationFor(r.row), review: reviewOf(r), photos, history };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}
const err = (status: number, code: string, message: string, field?: string) => json(status, { error: { code, message, ...(field ? { field } : {}) } });
const file = (body: string, type: string, name: string) => new Response(body, { status: 200, headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } });

let token: string | null = null;

export async function previewFetch(input: string, init?: RequestInit): Promise<Response> {
  await new Promise((r) => setTimeout(r, 120));
  const url = new URL(input, 'http://preview');
  const path = url.pathname;
  const q = url.searchParams;
  const method = init?.method ?? 'GET';
  const body = init?.body ? JSON.parse(String(init.body)) : {};
  if (path === '/v1/office/session' && method === 'POST') {
    if (body.password !== 'preview') return err(401, 'bad_credentials', 'wrong name or password');
    token = 'preview-token';
    return json(200, { token, expires_at: '2026-11-27T08:00:00+08:00', user: { name: body.name || '王规划', city: '武汉市' } });
  }
  const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
  if (!auth?.startsWith('Bearer ')) return err(401, 'unauthenticated', 'sign in first');
  if (path === '/v1/office/session' && method === 'DELETE') { token = null; return new Response(null, { status: 204 }); }
  if (path === '/v1/office/me') return json(200, { expires_at: '2026-11-27T08:00:00+08:00', user: { name: '王规划', city: '武汉市' } });
  if (path === '/v1/office/config') return json(200, {
    city: '武汉市', districts: DISTRICTS.map((d) => d[0]), years: [2025, 2026],
    items: BASE.items.map((i) => ({ item: i.item, group: i.group, name_zh: i.name_zh, name_en: i.name_en })),
    tiles: import.meta.env.VITE_PREVIEW_TILES ? { url: import.meta.env.VITE_PREVIEW_TILES, attribution: '' } : null,
  });
  if (path === '/v1/office/summary') return json(200, summary(q.get('district')));
  if (path === '/v1/office/communities') { const rows = filterRows(q); return json(200, { communities: rows, total: rows.length }); }
  if (path === '/v1/office/communities.geojson') return json(200, { type: 'FeatureCollection', features: filterRows(q).filter((r) => r.point).map((r) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [r.point!.lon, r.point!.lat] }, properties: { id: r.id, name: r.name, district: r.district, verdict: r.verdict, gaps: r.gaps, gap_items: r.gap_items, review: r.review } })) });
  let m = /^\/v1\/office\/communities\/([^/]+)$/.exec(path);
  if (m) { const p = page(decodeURIComponent(m[1])); return p ? json(200, p) : err(404, 'not_found', 'no such community', 'community'); }
  m = /^\/v1\/photos\/([0-9a-f]{64})$/.exec(path);
  if (m) {
    if (m[1] === 'f'.repeat(64)) return err(404, 'not_found', 'the display copy has not arrived yet', 'sha256');
    return new Response(photoSvg(m[1][0] === 'a' ? '服务站' : m[1][0] === 'b' ? '幼儿园' : m[1][0] === 'c' ? '楼栋入口' : '活动场地', m[1].charCodeAt(0) * 37 % 360), { status: 200, headers: { 'Content-Type': 'image/svg+xml' } });
  }
  if (path === '/v1/office/reviews') {
    const states = (q.get('state') ?? 'submitted,resubmitted').split(',');
    return json(200, { reviews: recs.filter((r) => states.includes(r.row.review)).map(reviewOf).sort((a, b) => String(a.submitted_at).localeCompare(String(b.submitted_at))) });
  }
  m = /^\/v1\/office\/reviews\/([^/]+)\/(approve|return)$/.exec(path);
  if (m) {
    const r = recs.find((x) => x.row.id === decodeURIComponent(m![1]));
    if (!r) return err(404, 'not_found', 'no such community', 'community');
    if (r.row.review !== 'submitted' && r.row.review !== 'resubmitted') return err(409, 'not_submitted', 'the survey is not waiting for review');
    if (body.round !== r.round) return err(409, 'stale_revision', 'resubmitted since', 'round');
    if (m[2] === 'approve') r.row.review = 'approved';
    else {
      for (const [i, x] of (body.items ?? []).entries()) if (!x.reason || x.reason.length < 2) return err(400, 'missing_reason', 'each returned item needs a reason', `items[${i}].reason`);
      r.row.review = 'returned';
      r.returns.push(...body.items.map((x: { item: number; reason: string }) => ({ ...x, round: r.round, at: new Date().toISOString(), by: '王规划' })));
    }
    return json(200, reviewOf(r));
  }
  if (path === '/v1/office/conflicts') return json(200, { conflicts });
  m = /^\/v1\/office\/conflicts\/([^/]+)\/resolve$/.exec(path);
  if (m) {
    const i = conflicts.findIndex((c) => c.id === m![1]);
    if (i < 0) return err(404, 'not_found', 'no such conflict', 'conflict');
    const [c] = conflicts.splice(i, 1);
    c.kept = body.pick;
    return json(200, { resolved: c, change_seq: 999 });
  }
  if (path === '/v1/office/projects' && method === 'GET') {
    const item = Number(q.get('item'));
    const ps = projects.filter((p) => (!q.get('district') || p.district === q.get('district')) && (!item || p.item === item) && (!q.get('status') || p.status === q.get('status')) && (!q.get('community') || p.community === q.get('community')));
    return json(200, { projects: ps, total: ps.length, cost_yuan: ps.reduce((a, p) => a + (p.cost_office_yuan ?? p.cost_yuan ?? 0), 0) });
  }
  if (path === '/v1/office/projects/propose') return json(200, { created: [], kept: projects.length });
  m = /^\/v1\/office\/projects\/([^/]+)(\/status)?$/.exec(path);
  if (m) {
    const p = projects.find((x) => x.id === decodeURIComponent(m![1]));
    if (!p) return err(404, 'not_found', 'no such project', 'project');
    if (body.revision !== p.revision) return err(409, 'stale_revision', 'changed since', 'revision');
    if (m[2]) {
      const next = STATUS_FLOW[STATUS_FLOW.indexOf(p.status) + 1];
      if (body.to !== next) return err(409, 'bad_transition', `project ${p.id}: cannot move from ${p.status} to ${body.to}`);
      if (body.date < p.history.at(-1)!.date) return err(409, 'bad_transition', `project ${p.id}: ${body.to} on ${body.date} is before the last move`);
      p.status = body.to; p.history.push({ status: body.to, date: body.date });
    } else {
      const { revision: _r, rank, ...rest } = body;
      Object.assign(p, rest);
      if (rank) p.priority.rank = rank;
    }
    p.revision += 1;
    return json(200, p);
  }
  m = /^\/v1\/office\/exports\/(\w+)$/.exec(path);
  if (m) {
    const fmt = q.get('format');
    if (fmt === 'xlsx') return err(501, 'preview_only', '预览后端不生成 XLSX；真实服务器由 office 模块生成');
    if (fmt === 'geojson') return file(JSON.stringify({ type: 'FeatureCollection', features: [] }), 'application/geo+json', `${m[1]}.geojson`);
    return file('id,name\n', 'text/csv', `${m[1]}.csv`);
  }
  if (path === '/v1/office/report') {
    if (q.get('format') === 'xlsx') return err(501, 'preview_only', '预览后端不生成 XLSX；真实服务器由 office 模块生成');
    return file('<!doctype html><meta charset="utf-8"><title>预览</title><p>预览后端：年度报告由真实服务器生成。</p>', 'text/html', `完整居住社区年度报告-${q.get('year')}.html`);
  }
  return err(404, 'no_such_route', `no route ${method} ${path}`);
}
