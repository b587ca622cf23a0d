// The only way the UI talks to the core: the commands and events of docs/app-commands.md.
import type {
  AppInfo, ChecklistTemplate, CommunityProgress, Evaluation, Fields, Fix, ItemView,
  RampAssessment, Settings, Standard, Survey, SyncReport, SyncStatus, WalkPreview,
} from './types';
import { toAppError } from './errors';

export type InvokeArgs = Record<string, unknown> | Uint8Array | ArrayBuffer;
export interface Backend {
  invoke<T>(cmd: string, args?: InvokeArgs, options?: { headers: Record<string, string> }): Promise<T>;
  listen<T>(event: string, cb: (payload: T) => void): Promise<() => void>;
}

let backend: Backend | null = null;

/** Picks the backend: the Tauri core in the window; the DEV-ONLY preview backend under
 * `vite --mode preview-dev` (the constant folds to false in every other build, so the
 * preview code is not in the production bundle). */
export async function initBackend(): Promise<void> {
  if (backend) return;
  if (__BUQI_PREVIEW__) {
    const m = await import('../../dev/preview-backend');
    backend = m.createPreviewBackend();
    return;
  }
  const core = await import('@tauri-apps/api/core');
  const event = await import('@tauri-apps/api/event');
  backend = {
    invoke: (cmd, args, options) => core.invoke(cmd, args as never, options),
    listen: async (name, cb) => event.listen(name, (e) => cb(e.payload as never)),
  };
}

/** For tests and the preview: use this backend. */
export function setBackend(b: Backend): void {
  backend = b;
}

async function call<T>(cmd: string, args?: InvokeArgs, options?: { headers: Record<string, string> }): Promise<T> {
  if (!backend) await initBackend();
  try {
    return await backend!.invoke<T>(cmd, args, options);
  } catch (e) {
    throw toAppError(e);
  }
}

export function listen<T>(event: string, cb: (payload: T) => void): Promise<() => void> {
  return (async () => {
    if (!backend) await initBackend();
    return backend!.listen<T>(event, cb);
  })();
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  standard: () => call<Standard>('standard'),
  settingsGet: () => call<Settings>('settings_get'),
  settingsSet: (settings: Settings) => call<Settings>('settings_set', { settings }),

  communities: () => call<CommunityProgress[]>('communities'),
  createCommunity: (fields: Fields) => call<string>('create_community', { fields }),
  survey: (community: string) => call<Survey>('survey', { community }),
  evaluation: (community: string) => call<Evaluation>('evaluation', { community }),
  itemView: (community: string, item: number) => call<ItemView>('item_view', { community, item }),
  createRecord: (community: string, kind: string, fields: Fields) =>
    call<string>('create_record', { community, kind, fields }),
  updateRecord: (kind: string, id: string, fields: Fields) => call<void>('update_record', { kind, id, fields }),
  deleteRecord: (kind: string, id: string) => call<void>('delete_record', { kind, id }),
  restoreRecord: (kind: string, id: string) => call<void>('restore_record', { kind, id }),
  record: (kind: string, id: string) => call<Fields>('record', { kind, id }),
  exportCommunity: (community: string) => call<string>('export_community', { community }),
  importCommunity: (json: string) => call<string>('import_community', { json }),

  rampAssess: (ramp: Fields) => call<RampAssessment>('ramp_assess', { ramp }),
  walkPreview: (fixes: Fix[]) => call<WalkPreview>('walk_preview', { fixes }),
  recordBoundaryWalk: (community: string, fixes: Fix[]) =>
    call<{ measurement: string; gps_points: string[]; area_m2: number; sigma_m2: number }>(
      'record_boundary_walk', { community, fixes }),
  recordTapeArea: (community: string, facility: string | null, field: string, rectangles: { length_m: number; width_m: number }[]) =>
    call<{ measurement: string; area_m2: number }>('record_tape_area', { community, facility, field, rectangles }),
  gpsStart: () => call<void>('gps_start'),
  gpsStop: () => call<void>('gps_stop'),

  addPhoto: (bytes: Uint8Array, headers: Record<string, string>) =>
    call<{ record: string; sha256: string; new_image: boolean }>('add_photo', bytes, { headers }),
  photoThumbnail: (sha256: string) => call<string>('photo_thumbnail', { sha256 }),
  photoDisplay: (sha256: string) => call<string>('photo_display', { sha256 }),

  enroll: (server: string, code: string) => call<{ server: string; device: string }>('enroll', { server, code }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<SyncReport>('sync_now'),

  checklistTemplates: () => call<ChecklistTemplate[]>('checklist_templates'),
};

/** Headers of `add_photo`: the caption percent-encoded, absent values left out. */
export function photoHeaders(community: string, opts: { item?: number | null; facility?: string | null; caption?: string | null }): Record<string, string> {
  const h: Record<string, string> = { 'x-community': community };
  if (opts.item != null) h['x-item'] = String(opts.item);
  if (opts.facility) h['x-facility'] = opts.facility;
  if (opts.caption) h['x-caption'] = encodeURIComponent(opts.caption);
  return h;
}

export type { Fix };
