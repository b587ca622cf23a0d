// Shapes of what the core returns (docs/app-commands.md). Only what the UI reads is typed.

export type Lang = 'zh' | 'en';
export type Fields = Record<string, unknown>;

export interface AppError {
  code: string;
  message_zh: string;
  message_en: string;
}

export interface Settings {
  lang: Lang;
  theme: 'light' | 'high_contrast';
  text_scale: number;
  gps: { source: 'platform' | 'replay'; replay_path: string | null; replay_speed: number };
  basemap_path: string | null;
  surveyor: string | null;
}

export interface AppInfo {
  device: string;
  version: string;
  standard: { id: string; version: string; title_zh: string; title_en: string };
  enrolled: { server: string } | null;
}

export type Verdict = 'complete' | 'not_complete' | 'undetermined';
export type ItemStatus = 'met' | 'gap' | 'advisory' | 'not_applicable' | 'not_surveyed';
export type CheckStatus = 'met' | 'not_met' | 'not_applicable' | 'not_surveyed';
export type Unit = 'm2' | 'minutes' | 'count' | 'share';

export interface CommunityProgress {
  id: string;
  name: string;
  kind: 'new' | 'existing' | null;
  district: string | null;
  street: string | null;
  items_complete: number;
  facilities: number;
  photos: number;
  verdict: Verdict;
  gap_items: number[];
  last_edit_unix: number | null;
  problem: string | null;
}

export type Requirement =
  | { op: 'at_least'; value: number; unit: Unit }
  | { op: 'at_most'; value: number; unit: Unit }
  | { op: 'yes' }
  | { op: 'one_of'; values: string[] };

export type Measured = { value: number; unit: Unit; method?: string } | boolean | string;

export interface CheckResult {
  check: string;
  title_zh: string;
  title_en: string;
  strength: 'binding' | 'advisory';
  status: CheckStatus;
  required?: Requirement;
  measured?: Measured;
  details?: { zh: string; en: string }[];
  source?: { clause_zh: string; clause_en: string; from_profile?: boolean };
}

export interface ItemResult {
  item: number;
  group: number;
  name_zh: string;
  name_en: string;
  status: ItemStatus;
  complete: boolean;
  judged_on?: { kind: string; facility: string; name?: string; candidates: number }[];
  checks: CheckResult[];
}

export interface Evaluation {
  community: { id: string; name: string; kind?: string };
  summary: {
    verdict: Verdict;
    met: number;
    gaps: number;
    advisory: number;
    not_applicable: number;
    not_surveyed: number;
    gap_items: number[];
  };
  scale: { status: string; population?: number; advice_zh: string; advice_en: string };
  items: ItemResult[];
  warnings?: string[];
}

export interface PhotoRef {
  id: string;
  sha256: string;
  item?: number;
  facility?: string;
  caption?: string;
}

export interface Facility extends Fields {
  id: string;
  kind: string;
  name?: string;
  features?: string[];
}

export interface ItemView {
  result: ItemResult;
  notes: string | null;
  facilities: Facility[];
  photos: PhotoRef[];
}

export interface Rule {
  type: string;
  kinds?: string[];
  field?: string;
  required?: string[];
  flag?: string;
  id?: string;
  any_of?: string[];
  alternatives?: { label_zh: string; label_en: string; rule: Rule }[];
  [k: string]: unknown;
}

export interface StandardCheck {
  id: string;
  title_zh: string;
  title_en: string;
  clause_zh: string;
  clause_en: string;
  strength: 'binding' | 'advisory';
  applies_to?: 'all' | 'new' | 'existing';
  when?: string;
  rule: Rule;
}

export interface StandardItem {
  number: number;
  group: number;
  name_zh: string;
  name_en: string;
  text_zh: string;
  text_en: string;
  checks: StandardCheck[];
}

export interface ObservationDef {
  id: string;
  item: number;
  question_zh: string;
  question_en: string;
}

export interface Standard {
  standard: { id: string; version: string; title_zh: string; title_en: string };
  groups: { number: number; name_zh: string; name_en: string }[];
  observations: ObservationDef[];
  items: StandardItem[];
}

export interface Fix {
  lat: number;
  lon: number;
  accuracy_m: number;
  taken_at_ms: number;
}

export interface WalkPreview {
  area_m2: number;
  sigma_m2: number;
  kept: number;
  dropped: { index: number; reason: string }[];
}

export interface RampCheck {
  id: string;
  status: CheckStatus;
  required_zh: string;
  required_en: string;
  measured_zh?: string;
  measured_en?: string;
  name_zh: string;
  name_en: string;
}

export interface RampAssessment {
  label: string;
  slope?: { value: number; source: string; spread_deg?: number; readings?: number };
  checks: RampCheck[];
}

export interface SyncStatus {
  enrolled: boolean;
  server: string | null;
  waiting_changes: number;
  waiting_photos: number;
  last_sync_unix: number | null;
  last_error: AppError | string | null;
  conflicts: number;
  syncing: boolean;
}

export interface SyncReport {
  pushed: number;
  pulled: number;
  evicted: number;
  held: number;
  photos: number;
  photo_bytes: number;
}

export interface SyncProgress {
  phase: 'push' | 'pull' | 'photos';
  done: number;
  total: number;
}

export type ParticipantGroup = 'wheelchair' | 'blind_low_vision' | 'deaf_hard_of_hearing' | 'elderly';

export interface ChecklistTemplate {
  id: string;
  title_zh: string;
  title_en: string;
  group: ParticipantGroup;
  checkpoints: {
    id: string;
    facility_kind: string;
    /** The checkpoint record's `target` (a CheckpointTarget of the survey model). */
    target?: string;
    title_zh: string;
    title_en: string;
    look_for_zh: string;
    look_for_en: string;
  }[];
}

export type Outcome = 'pass' | 'difficult' | 'impassable';

export interface SurveyCheckpoint {
  id: string;
  label: string;
  target: string;
  outcome?: Outcome;
  notes?: string;
  photos?: string[];
}

export interface SurveyRun {
  id: string;
  category: ParticipantGroup;
  template?: string;
  started_at?: string;
  checkpoints: SurveyCheckpoint[];
}

export interface Survey {
  community: Fields & { id: string; name: string; boundary?: { ring: [number, number][]; method: string; area_m2?: number } };
  items?: { item: number; complete: boolean; notes?: string }[];
  observations?: Record<string, boolean>;
  facilities?: Facility[];
  measurements?: Fields[];
  entrances?: (Fields & { id: string; label: string })[];
  ramps?: (Fields & { id: string; label: string })[];
  gps_points?: (Fields & { id: string; lon: number; lat: number; label?: string })[];
  photos?: PhotoRef[];
  checklist_runs?: SurveyRun[];
}
