// DEV-ONLY PREVIEW BACKEND — for looking at the screens in a browser without the Tauri window.
// Enabled only by `vite --mode preview-dev` (see src/lib/api.ts); never in the production bundle,
// never used by tests. Evaluations are the real evaluator's output for the examples, captured
// with `buqi evaluate --format json-full` into dev/fixtures; they do not change with edits here.
// Nothing in this file is compliance logic the app uses.
import type { Backend, InvokeArgs } from '../src/lib/api';
import { itemInputs } from '../src/lib/itemInputs';
import type { Evaluation, Fields, Standard } from '../src/lib/types';
import standardJson from './fixtures/standard.json';
import wuhanEval from './fixtures/wuhan-old-estate.evaluation.json';
import xianEval from './fixtures/xian-existing-partial.evaluation.json';
import shenyangEval from './fixtures/shenyang-new-complete.evaluation.json';
import wuhan from '../../examples/wuhan-old-estate.json';
import xian from '../../examples/xian-existing-partial.json';
import shenyang from '../../examples/shenyang-new-complete.json';

type Rec = { kind: string; id: string; community: string; fields: Fields; deleted?: boolean };
const standard = standardJson as unknown as Standard;
const records = new Map<string, Rec>();
const evals = new Map<string, Evaluation>();
const listeners = new Map<string, Set<(p: unknown) => void>>();
let settings = { lang: 'zh', theme: 'light', text_scale: 1, gps: { source: 'replay', replay_path: '/demo/walk.nmea', replay_speed: 5 }, basemap_path: null, surveyor: '李娜' };
let enrolled: string | null = null;
let waiting = 37;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();

function load(survey: any, evaluation: any, ring?: [number, number][]) {
  const c = survey.community;
  const id = c.id;
  const fields: Fields = { ...c };
  delete fields.id;
  if (!fields.boundary && ring) fields.boundary = { ring, method: 'gps_polygon', area_m2: 41250 };
  for (const it of survey.items ?? []) {
    fields[`items.${it.item}.complete`] = it.complete;
    if (it.notes) fields[`items.${it.item}.notes`] = it.notes;
  }
  for (const [k, v] of Object.entries(survey.observations ?? {})) fields[`observations.${k}`] = v;
  records.set(id, { kind: 'community', id, community: id, fields });
  const lists: [string, string][] = [['facilities', 'facility'], ['measurements', 'measurement'], ['entrances', 'entrance'], ['ramps', 'ramp'], ['gps_points', 'gps_point'], ['photos', 'photo']];
  const centre = ring ? ring[0] : [114.305, 30.545];
  let i = 0;
  for (const [list, kind] of lists) {
    for (const r of survey[list] ?? []) {
      const f = { ...r };
      delete f.id;
      if (kind === 'facility' && !f.position) f.position = { lon: centre[0] + 0.0012 * Math.cos(i), lat: centre[1] + 0.0009 * Math.sin(i++) };
      records.set(r.id, { kind, id: r.id, community: id, fields: f });
    }
  }
  for (const run of survey.checklist_runs ?? []) {
    const f = { ...run };
    delete f.id;
    delete f.checkpoints;
    records.set(run.id, { kind: 'checklist_run', id: run.id, community: id, fields: f });
    for (const cp of run.checkpoints) {
      const g = { ...cp, run: run.id };
      delete g.id;
      records.set(cp.id, { kind: 'checkpoint', id: cp.id, community: id, fields: g });
    }
  }
  evals.set(id, structuredClone(evaluation));
}
load(wuhan, wuhanEval, [[114.3012, 30.5431], [114.3071, 30.5433], [114.3079, 30.5468], [114.3041, 30.5489], [114.3008, 30.5472]]);
load(xian, xianEval);
load(shenyang, shenyangEval);

function blankEvaluation(id: string, name: string): Evaluation {
  const e = structuredClone(wuhanEval) as unknown as Evaluation;
  e.community = { id, name };
  e.summary = { verdict: 'undetermined', met: 0, gaps: 0, advisory: 0, not_applicable: 0, not_surveyed: 20, gap_items: [] };
  for (const it of e.items) {
    it.status = 'not_surveyed';
    it.complete = false;
    delete it.judged_on;
    for (const c of it.checks) {
      c.status = 'not_surveyed';
      delete c.measured;
      delete c.details;
    }
  }
  return e;
}

function live(community: string, kind?: string) {
  return [...records.values()].filter((r) => r.community === community && !r.deleted && (!kind || r.kind === kind));
}

function survey(community: string) {
  const c = records.get(community)!;
  const flat = (k: string) => live(community, k).map((r) => ({ id: r.id, ...r.fields }));
  const runs = live(community, 'checklist_run').map((r) => ({
    id: r.id, ...r.fields,
    checkpoints: live(community, 'checkpoint').filter((cp) => cp.fields.run === r.id).map((cp) => ({ id: cp.id, ...cp.fields })),
  }));
  const communityFields = Object.fromEntries(Object.entries(c.fields).filter(([k]) => !k.includes('.')));
  return {
    format: 'buqi.survey', version: 1, community: { id: community, ...communityFields },
    facilities: flat('facility'), measurements: flat('measurement'), entrances: flat('entrance'), ramps: flat('ramp'),
    gps_points: flat('gps_point'), photos: flat('photo'), checklist_runs: runs,
  };
}

function emit(event: string, payload: unknown) {
  listeners.get(event)?.forEach((cb) => cb(payload));
}

let gpsTimer: ReturnType<typeof setInterval> | null = null;
const thumbColours = ['#6a8caf', '#8fae6a', '#af8f6a', '#9a6aaf'];
function thumb(sha: string) {
  const c = thumbColours[parseInt(sha.slice(0, 2), 16) % thumbColours.length];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="320" height="240" fill="${c}"/><path d="M0 200 L90 120 L160 180 L230 100 L320 190 L320 240 L0 240Z" fill="#ffffff55"/></svg>`;
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

function err(code: string, zh: string, en: string) {
  return { code, message_zh: zh, message_en: en };
}

async function invoke(cmd: string, a: any = {}, options?: { headers: Record<string, string> }): Promise<any> {
  await sleep(40);
  switch (cmd) {
    case 'app_info':
      return { device: '0190d1f2-7a3b-7c00-9e11-5a1b2c3d4e5f', version: '0.1.0-preview', standard: standard.standard, enrolled: enrolled ? { server: enrolled } : null };
    case 'standard':
      return standard;
    case 'settings_get':
      return structuredClone(settings);
    case 'settings_set':
      settings = structuredClone(a.settings);
      return settings;
    case 'communities':
      return [...records.values()].filter((r) => r.kind === 'community' && !r.deleted).map((r) => {
        const e = evals.get(r.id)!;
        return {
          id: r.id, name: r.fields.name, kind: r.fields.kind ?? null, district: r.fields.district ?? null, street: r.fields.street ?? null,
          items_complete: Object.entries(r.fields).filter(([k, v]) => /^items\.\d+\.complete$/.test(k) && v === true).length,
          facilities: live(r.id, 'facility').length, photos: live(r.id, 'photo').length,
          verdict: e.summary.verdict, gap_items: e.summary.gap_items, last_edit_unix: 1779300000, problem: null,
        };
      });
    case 'create_community': {
      if (!a.fields?.name) throw err('invalid', '社区名称不能为空', 'The community needs a name');
      const id = uuid();
      records.set(id, { kind: 'community', id, community: id, fields: { ...a.fields } });
      evals.set(id, blankEvaluation(id, a.fields.name));
      return id;
    }
    case 'survey':
      return survey(a.community);
    case 'evaluation': {
      const e = evals.get(a.community)!;
      for (const it of e.items) it.complete = records.get(a.community)!.fields[`items.${it.item}.complete`] === true;
      return structuredClone(e);
    }
    case 'item_view': {
      const e = evals.get(a.community)!;
      const result = structuredClone(e.items[a.item - 1]);
      const c = records.get(a.community)!.fields;
      result.complete = c[`items.${a.item}.complete`] === true;
      const kinds = itemInputs(standard, a.item).kinds;
      const facilities = live(a.community, 'facility').filter((r) => kinds.includes(String(r.fields.kind))).map((r) => ({ id: r.id, ...r.fields }));
      const ids = facilities.map((f) => f.id);
      const photos = live(a.community, 'photo').filter((r) => r.fields.item === a.item || ids.includes(String(r.fields.facility))).map((r) => ({ id: r.id, ...r.fields }));
      return { result, notes: c[`items.${a.item}.notes`] ?? null, facilities, photos };
    }
    case 'record': {
      const r = records.get(a.id);
      if (!r || r.kind !== a.kind) throw err('not_found', `没有这条${a.kind}记录`, `No ${a.kind} record ${a.id}`);
      return structuredClone(r.fields);
    }
    case 'create_record': {
      const id = uuid();
      records.set(id, { kind: a.kind, id, community: a.community, fields: structuredClone(a.fields) });
      waiting++;
      return id;
    }
    case 'update_record': {
      const r = records.get(a.id)!;
      for (const [k, v] of Object.entries(a.fields)) {
        if (v === null) delete r.fields[k];
        else r.fields[k] = v;
      }
      waiting++;
      return null;
    }
    case 'delete_record':
      records.get(a.id)!.deleted = true;
      return null;
    case 'restore_record':
      records.get(a.id)!.deleted = false;
      return null;
    case 'ramp_assess': {
      // Preview only: a stand-in shape so the screen can be looked at. The app uses the core's.
      const r = a.ramp;
      const slope = r.rise_m != null && r.length_m ? r.rise_m / r.length_m : r.slope_readings_deg?.length ? Math.tan((r.slope_readings_deg.reduce((x: number, y: number) => x + y, 0) / r.slope_readings_deg.length) * Math.PI / 180) : null;
      const chk = (id: string, zh: string, en: string, req: string, v: number | null | undefined, ok: (v: number) => boolean, fmt: (v: number) => string) => ({
        id, name_zh: zh, name_en: en, required_zh: req, required_en: req, status: v == null ? 'not_surveyed' : ok(v) ? 'met' : 'not_met',
        ...(v == null ? {} : { measured_zh: fmt(v), measured_en: fmt(v) }),
      });
      return {
        ramp: uuid(), label: r.label, ...(slope != null ? { slope: { value: slope, source: r.rise_m != null ? 'rise_and_length' : 'inclinometer' } } : {}),
        checks: [
          chk('running_slope', '纵向坡度', 'Running slope', '≤ 1:12', slope, (v) => v <= 1 / 12 + 1e-9, (v) => `1:${(1 / v).toFixed(1)}`),
          chk('cross_slope', '横向坡度', 'Cross slope', '≤ 1:50', r.cross_slope, (v) => v <= 0.02 + 1e-9, (v) => `1:${(1 / v).toFixed(0)}`),
          chk('clear_width', '通行净宽', 'Clear width', '≥ 1.20 m', r.clear_width_m, (v) => v >= 1.2, (v) => `${v} m`),
          chk('landings', '休息平台', 'Landings', '≥ 1.50 m', r.landings_m?.length ? Math.min(...r.landings_m) : null, (v) => v >= 1.5, (v) => `${v} m`),
          chk('upper_rail', '上层扶手高度', 'Upper rail', '850–900 mm', r.handrails?.upper_height_mm, (v) => v >= 850 && v <= 900, (v) => `${v} mm`),
        ],
      };
    }
    case 'walk_preview': {
      const f = a.fixes as { lat: number; lon: number }[];
      if (f.length < 3) throw err('too_few_fixes', '定位点少于 3 个', 'Fewer than 3 fixes');
      const k = Math.cos((f[0].lat * Math.PI) / 180);
      let s = 0;
      for (let i = 0; i < f.length; i++) {
        const p = f[i], q = f[(i + 1) % f.length];
        s += (p.lon * k * 111320) * (q.lat * 110540) - (q.lon * k * 111320) * (p.lat * 110540);
      }
      const area = Math.abs(s) / 2;
      return { area_m2: area, sigma_m2: 60 + area * 0.02, kept: f.length, dropped: [] };
    }
    case 'record_boundary_walk': {
      const p = await invoke('walk_preview', a);
      const c = records.get(a.community)!;
      c.fields.boundary = { ring: a.fixes.map((x: any) => [x.lon, x.lat]), method: 'gps_polygon', area_m2: p.area_m2 };
      return { measurement: uuid(), gps_points: [], area_m2: p.area_m2, sigma_m2: p.sigma_m2 };
    }
    case 'record_tape_area': {
      const area = a.rectangles.reduce((s: number, r: any) => s + r.length_m * r.width_m, 0);
      if (a.facility) records.get(a.facility)!.fields[a.field] = area;
      return { measurement: uuid(), area_m2: area };
    }
    case 'gps_start': {
      let i = 0;
      const c = [114.3045, 30.5455];
      gpsTimer = setInterval(() => {
        const ang = (i / 24) * 2 * Math.PI;
        emit('gps-fix', { lon: c[0] + 0.0028 * Math.cos(ang), lat: c[1] + 0.0022 * Math.sin(ang), accuracy_m: 4 + (i % 3), taken_at_ms: Date.now() });
        i++;
      }, 300);
      return null;
    }
    case 'gps_stop':
      if (gpsTimer) clearInterval(gpsTimer);
      gpsTimer = null;
      return null;
    case 'add_photo': {
      const h = options?.headers ?? {};
      const bytes = a as Uint8Array;
      const sha = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
      if (!bytes.length) throw err('not_an_image', '这不是图片文件', 'Not an image');
      const fields: Fields = { sha256: sha };
      if (h['x-item']) fields.item = Number(h['x-item']);
      if (h['x-facility']) fields.facility = h['x-facility'];
      if (h['x-caption']) fields.caption = decodeURIComponent(h['x-caption']);
      const id = uuid();
      records.set(id, { kind: 'photo', id, community: h['x-community'], fields });
      return { record: id, sha256: sha, new_image: true };
    }
    case 'photo_thumbnail':
    case 'photo_display':
      return thumb(a.sha256);
    case 'enroll':
      if (a.code !== 'DEMO-2026') throw err('enroll_refused', '登记码无效或已用过，请向市里索取新的登记码', 'The code is not valid or was already used: ask the city office for a new one');
      enrolled = a.server;
      return { server: a.server, device: '0190d1f2-7a3b-7c00-9e11-5a1b2c3d4e5f' };
    case 'sync_status':
      return { enrolled: !!enrolled, server: enrolled, waiting_changes: waiting, waiting_photos: 4, last_sync_unix: 1779290000, last_error: null, conflicts: 1, syncing: false };
    case 'sync_now': {
      for (const phase of ['push', 'pull', 'photos'] as const) {
        for (let d = 0; d <= 4; d++) {
          emit('sync-progress', { phase, done: d, total: 4 });
          await sleep(150);
        }
      }
      const pushed = waiting;
      waiting = 0;
      return { pushed, pulled: 12, evicted: 0, held: 0, photos: 4, photo_bytes: 1_800_000 };
    }
    case 'checklist_templates':
      return [
        { id: 'wheelchair-2026', group: 'wheelchair', title_zh: '轮椅使用者体验清单', title_en: 'Wheelchair user checklist', checkpoints: [
          { id: 'w1', facility_kind: 'entrance', title_zh: '住宅单元出入口', title_en: 'Building entrance', look_for_zh: '有无台阶；坡道坡度、宽度；门的开启', look_for_en: 'Steps; ramp slope and width; how the door opens' },
          { id: 'w2', facility_kind: 'ramp', title_zh: '服务站坡道', title_en: 'Service-station ramp', look_for_zh: '能否独立上下；扶手高度', look_for_en: 'Can it be used unaided; handrail height' },
          { id: 'w3', facility_kind: 'accessible_toilet', title_zh: '无障碍厕所', title_en: 'Accessible toilet', look_for_zh: '回转空间、扶手、呼叫按钮', look_for_en: 'Turning space, grab rails, call button' },
        ] },
        { id: 'blind-2026', group: 'blind_low_vision', title_zh: '视障者体验清单', title_en: 'Blind and low-vision checklist', checkpoints: [
          { id: 'b1', facility_kind: 'tactile_paving', title_zh: '盲道', title_en: 'Tactile paving', look_for_zh: '连续、无占用', look_for_en: 'Continuous, unobstructed' },
          { id: 'b2', facility_kind: 'signage', title_zh: '服务站标识', title_en: 'Station signs', look_for_zh: '盲文或有声提示', look_for_en: 'Braille or audible signs' },
        ] },
        { id: 'deaf-2026', group: 'deaf_hard_of_hearing', title_zh: '听障者体验清单', title_en: 'Deaf and hard-of-hearing checklist', checkpoints: [
          { id: 'd1', facility_kind: 'counter', title_zh: '服务大厅柜台', title_en: 'Service counter', look_for_zh: '信息屏、文字沟通', look_for_en: 'Information screen, written communication' },
        ] },
        { id: 'elderly-2026', group: 'elderly', title_zh: '老年人体验清单', title_en: 'Elderly people checklist', checkpoints: [
          { id: 'e1', facility_kind: 'route', title_zh: '小区主路', title_en: 'Main path', look_for_zh: '平整、休息座椅、照明', look_for_en: 'Even surface, seating, lighting' },
        ] },
      ];
    default:
      throw err('unknown_command', `预览后端不支持 ${cmd}`, `The preview backend has no ${cmd}`);
  }
}

export function createPreviewBackend(): Backend {
  return {
    invoke: (cmd: string, args?: InvokeArgs, options?: { headers: Record<string, string> }) => invoke(cmd, args, options) as any,
    listen: async (event, cb) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb as (p: unknown) => void);
      return () => listeners.get(event)!.delete(cb as (p: unknown) => void);
    },
  };
}
