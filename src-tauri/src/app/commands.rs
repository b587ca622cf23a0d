//! The commands of docs/app-commands.md. Each one reads its arguments, calls the core (the store,
//! measuring, photos, sync, the schema's evaluator) and shapes the answer: no rules and no SQL
//! live here. Every command is `async`, so it runs on the async runtime and never blocks the
//! window's main thread; every failure is an [`AppError`] naming what was wrong.

use base64::Engine;
use buqi_measure::{boundary_area, Fix, FixSource, WalkSettings};
use buqi_schema::checklist::{self, ChecklistTemplate};
use buqi_schema::ramp::{assess, RampAssessment};
use buqi_schema::record::{EntityKind, Fields};
use buqi_schema::survey::{Quantity, Ramp};
use buqi_schema::{Evaluation, Standard, Survey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tauri::{Emitter, Manager, State};
use uuid::Uuid;

use super::error::AppError;
use super::settings::Settings;
use super::{gps, AppState};
use crate::photos::{Attachment, Processing};
use crate::store::{CommunityProgress, ItemView};
use crate::sync::{Progress, SyncClient};

type Res<T> = Result<T, AppError>;

// ---- arguments ----------------------------------------------------------------------------

fn kind_of(kind: &str) -> Res<EntityKind> {
    EntityKind::from_id(kind).ok_or_else(|| {
        AppError::invalid(
            "kind",
            format!("没有 {kind:?} 这种记录"),
            format!("{kind:?} is not a kind of record (community, facility, measurement, entrance, ramp, gps_point, photo, checklist_run, checkpoint)"),
        )
    })
}

fn uuid_of(what: &str, text: &str) -> Res<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        AppError::invalid(
            what,
            format!("{text:?} 不是有效的编号（UUID）"),
            format!("{text:?} is not an id (a UUID)"),
        )
    })
}

fn item_of(item: i64) -> Res<u8> {
    match u8::try_from(item) {
        Ok(n @ 1..=20) => Ok(n),
        _ => Err(AppError::invalid(
            "item",
            format!("条目编号应为 1 到 20，收到 {item}"),
            format!("expected an item number from 1 to 20, got {item}"),
        )),
    }
}

/// A fix as the window sends it: the contract's `{ lat, lon, accuracy_m, taken_at_ms }`, with
/// the source the app emitted (`replay`) if the window passes it back, else the platform's.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct FixIn {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
    #[serde(default)]
    pub taken_at_ms: Option<i64>,
    #[serde(default)]
    pub source: Option<FixSource>,
}

impl From<FixIn> for Fix {
    fn from(f: FixIn) -> Fix {
        Fix {
            lon: f.lon,
            lat: f.lat,
            accuracy_m: f.accuracy_m,
            taken_at_ms: f.taken_at_ms,
            source: f.source.unwrap_or(FixSource::Gnss),
        }
    }
}

fn fixes_of(fixes: Vec<FixIn>) -> Vec<Fix> {
    fixes.into_iter().map(Fix::from).collect()
}

/// The tablet's UTC offset now, kept with each recorded time.
fn local_offset() -> chrono::FixedOffset {
    *chrono::Local::now().offset()
}

// ---- app and settings ---------------------------------------------------------------------

#[derive(Serialize)]
pub struct StandardRef {
    id: String,
    version: String,
    title_zh: String,
    title_en: String,
}

#[derive(Serialize)]
pub struct Enrolled {
    server: String,
}

#[derive(Serialize)]
pub struct AppInfo {
    device: Uuid,
    version: &'static str,
    standard: StandardRef,
    enrolled: Option<Enrolled>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    let store = state.store.lock().await;
    let s = &state.standard.standard;
    Ok(AppInfo {
        device: store.device(),
        version: env!("CARGO_PKG_VERSION"),
        standard: StandardRef {
            id: s.id.clone(),
            version: s.version.clone(),
            title_zh: s.title_zh.clone(),
            title_en: s.title_en.clone(),
        },
        enrolled: store.sync_state()?.map(|s| Enrolled { server: s.server }),
    })
}

#[tauri::command]
pub async fn standard(state: State<'_, AppState>) -> Res<Standard> {
    Ok(state.standard.clone())
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<Settings> {
    Ok(state.settings.lock().await.clone())
}

#[tauri::command]
pub async fn settings_set(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    mut settings: Settings,
) -> Res<Settings> {
    settings.resolve_basemap();
    settings.save(&state.settings_path)?;
    super::allow_basemap(&app, &settings);
    *state.settings.lock().await = settings.clone();
    Ok(settings)
}

// ---- communities and records ----------------------------------------------------------------

#[tauri::command]
pub async fn communities(state: State<'_, AppState>) -> Res<Vec<CommunityProgress>> {
    Ok(state.store.lock().await.communities(&state.standard)?)
}

#[tauri::command]
pub async fn create_community(state: State<'_, AppState>, fields: Fields) -> Res<Uuid> {
    Ok(state.store.lock().await.create_community(fields)?)
}

#[tauri::command]
pub async fn survey(state: State<'_, AppState>, community: String) -> Res<Survey> {
    let id = uuid_of("community", &community)?;
    // Merged: work pulled from other tablets is shown even where it does not fit together.
    Ok(state.store.lock().await.merged_survey(id)?.survey)
}

#[tauri::command]
pub async fn evaluation(state: State<'_, AppState>, community: String) -> Res<Evaluation> {
    let id = uuid_of("community", &community)?;
    Ok(state.store.lock().await.evaluation(id, &state.standard)?)
}

#[tauri::command]
pub async fn item_view(state: State<'_, AppState>, community: String, item: i64) -> Res<ItemView> {
    let id = uuid_of("community", &community)?;
    let item = item_of(item)?;
    Ok(state
        .store
        .lock()
        .await
        .item_view(id, item, &state.standard)?)
}

#[tauri::command]
pub async fn create_record(
    state: State<'_, AppState>,
    community: String,
    kind: String,
    fields: Fields,
) -> Res<Uuid> {
    let community = uuid_of("community", &community)?;
    let kind = kind_of(&kind)?;
    if kind == EntityKind::Community {
        return Err(AppError::invalid(
            "kind",
            "社区用 create_community 创建",
            "communities are made with create_community",
        ));
    }
    Ok(state.store.lock().await.create(community, kind, fields)?)
}

#[tauri::command]
pub async fn update_record(
    state: State<'_, AppState>,
    kind: String,
    id: String,
    fields: Fields,
) -> Res<()> {
    let (kind, id) = (kind_of(&kind)?, uuid_of("id", &id)?);
    Ok(state.store.lock().await.update(kind, id, fields)?)
}

#[tauri::command]
pub async fn delete_record(state: State<'_, AppState>, kind: String, id: String) -> Res<()> {
    let (kind, id) = (kind_of(&kind)?, uuid_of("id", &id)?);
    Ok(state.store.lock().await.delete(kind, id)?)
}

#[tauri::command]
pub async fn restore_record(state: State<'_, AppState>, kind: String, id: String) -> Res<()> {
    let (kind, id) = (kind_of(&kind)?, uuid_of("id", &id)?);
    Ok(state.store.lock().await.restore(kind, id)?)
}

#[tauri::command]
pub async fn record(state: State<'_, AppState>, kind: String, id: String) -> Res<Fields> {
    let (kind, id) = (kind_of(&kind)?, uuid_of("id", &id)?);
    Ok(state.store.lock().await.record(kind, id)?)
}

#[tauri::command]
pub async fn export_community(state: State<'_, AppState>, community: String) -> Res<String> {
    let id = uuid_of("community", &community)?;
    Ok(state.store.lock().await.export_community(id)?)
}

#[tauri::command]
pub async fn import_community(state: State<'_, AppState>, json: String) -> Res<Uuid> {
    Ok(state.store.lock().await.import_community(&json)?)
}

// ---- measuring, ramps, GPS ------------------------------------------------------------------

/// Assesses a ramp as the window is filling it in: the record's fields, with an id and a label
/// supplied if the ramp is not saved yet. The rules are the standard's (GB 55019 numbers).
#[tauri::command]
pub async fn ramp_assess(state: State<'_, AppState>, ramp: Fields) -> Res<RampAssessment> {
    let ramp = ramp_of(ramp)?;
    Ok(assess(&ramp, &state.standard.ramps))
}

pub(crate) fn ramp_of(mut fields: Fields) -> Res<Ramp> {
    fields
        .entry("id".into())
        .or_insert_with(|| json!(Uuid::nil()));
    fields.entry("label".into()).or_insert_with(|| json!(""));
    // Keys the survey model's ramp does not have on a record (its community) are the record's.
    fields.remove("community");
    let value = Value::Object(fields.into_iter().collect());
    serde_path_to_error::deserialize(value).map_err(|e| {
        AppError::invalid(
            &format!("ramp.{}", e.path()),
            e.inner().to_string(),
            e.inner().to_string(),
        )
    })
}

#[derive(Serialize)]
pub struct WalkPreview {
    area_m2: f64,
    sigma_m2: f64,
    perimeter_m: f64,
    kept: usize,
    dropped: Vec<Value>,
}

/// The area of the walk so far, stored nowhere: the live figure while the surveyor walks.
#[tauri::command]
pub async fn walk_preview(fixes: Vec<FixIn>) -> Res<WalkPreview> {
    let b = boundary_area(&fixes_of(fixes), &WalkSettings::default())?;
    Ok(WalkPreview {
        area_m2: b.area_m2,
        sigma_m2: b.uncertainty_m2,
        perimeter_m: b.perimeter_m,
        kept: b.kept,
        dropped: b
            .dropped
            .iter()
            .map(|d| {
                // `{ index, reason: "poor_accuracy", accuracy_m, limit_m }`
                let mut v = serde_json::to_value(d.reason).unwrap_or_else(|_| json!({}));
                if let Some(o) = v.as_object_mut() {
                    o.insert("index".into(), json!(d.index));
                }
                v
            })
            .collect(),
    })
}

#[derive(Serialize)]
pub struct WalkRecorded {
    measurement: Uuid,
    gps_points: Vec<Uuid>,
    area_m2: f64,
    sigma_m2: f64,
}

#[tauri::command]
pub async fn record_boundary_walk(
    state: State<'_, AppState>,
    community: String,
    fixes: Vec<FixIn>,
) -> Res<WalkRecorded> {
    let id = uuid_of("community", &community)?;
    let walk = state.store.lock().await.record_boundary_walk(
        id,
        &fixes_of(fixes),
        local_offset(),
        &WalkSettings::default(),
    )?;
    Ok(WalkRecorded {
        measurement: walk.measurement,
        gps_points: walk.gps_points,
        area_m2: walk.area.area_m2,
        sigma_m2: walk.area.uncertainty_m2,
    })
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Rectangle {
    length_m: f64,
    width_m: f64,
}

#[derive(Serialize)]
pub struct TapeRecorded {
    measurement: Uuid,
    area_m2: f64,
}

/// A facility's area by tape. `community` is checked against the facility's own, so a screen
/// showing one community cannot file into another.
#[tauri::command]
pub async fn record_tape_area(
    state: State<'_, AppState>,
    community: String,
    facility: Option<String>,
    field: String,
    rectangles: Vec<Rectangle>,
) -> Res<TapeRecorded> {
    let community = uuid_of("community", &community)?;
    let Some(facility) = facility else {
        return Err(AppError::invalid(
            "facility",
            "卷尺测量的面积属于一个设施，请先选择或添加设施",
            "a tape area is a facility's area: choose or add the facility first",
        ));
    };
    let facility = uuid_of("facility", &facility)?;
    let quantity = serde_json::from_value::<Quantity>(Value::String(field.clone()))
        .map_err(|_| {
            AppError::invalid(
                "field",
                format!("{field:?} 不是设施面积（building_area_m2、land_area_m2、usable_area_m2、sports_area_m2）"),
                format!("{field:?} is not a facility area (building_area_m2, land_area_m2, usable_area_m2, sports_area_m2)"),
            )
        })?;
    let rects: Vec<[f64; 2]> = rectangles.iter().map(|r| [r.length_m, r.width_m]).collect();
    let mut store = state.store.lock().await;
    if !store
        .merged_survey(community)?
        .survey
        .facilities
        .iter()
        .any(|f| f.id == facility)
    {
        return Err(AppError::invalid(
            "facility",
            format!("社区 {community} 中没有设施 {facility}"),
            format!("community {community} has no facility {facility}"),
        ));
    }
    let tape = store.record_tape_measurement(facility, quantity, &rects)?;
    Ok(TapeRecorded {
        measurement: tape.measurement,
        area_m2: tape.area_m2,
    })
}

#[tauri::command]
pub async fn gps_start(app: tauri::AppHandle, state: State<'_, AppState>) -> Res<()> {
    let settings = state.settings.lock().await.clone();
    gps::start(app, &state.gps, &settings.gps).await
}

#[tauri::command]
pub async fn gps_stop(state: State<'_, AppState>) -> Res<()> {
    gps::stop(&state.gps).await;
    Ok(())
}

// ---- photos --------------------------------------------------------------------------------

#[derive(Serialize)]
pub struct PhotoAdded {
    record: Uuid,
    sha256: String,
    new_image: bool,
}

/// The image arrives as the raw body (no base64 through JSON: a 12 MP photo is 4 MB); what it is
/// of comes in headers.
#[tauri::command]
pub async fn add_photo(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Res<PhotoAdded> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::invalid(
            "body",
            "照片应作为原始字节发送",
            "the photo must be sent as raw bytes, not JSON",
        ));
    };
    let headers = request.headers();
    let header = |name: &str| -> Res<Option<String>> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => {
                let text = v.to_str().map_err(|_| {
                    AppError::invalid(name, "不是文本", "is not text (percent-encode it)")
                })?;
                let decoded = percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map_err(|_| {
                        AppError::invalid(
                            name,
                            "不是 UTF-8 文本",
                            "is not UTF-8 once percent-decoded",
                        )
                    })?;
                Ok(Some(decoded.into_owned()).filter(|s| !s.trim().is_empty()))
            }
        }
    };
    let community = header("x-community")?.ok_or_else(|| {
        AppError::invalid(
            "x-community",
            "缺少社区编号",
            "is missing: which community is the photo of?",
        )
    })?;
    let community = uuid_of("x-community", &community)?;
    let item = match header("x-item")? {
        None => None,
        Some(t) => Some(item_of(t.trim().parse::<i64>().map_err(|_| {
            AppError::invalid(
                "x-item",
                format!("{t:?} 不是条目编号"),
                format!("{t:?} is not an item number"),
            )
        })?)?),
    };
    let facility = match header("x-facility")? {
        None => None,
        Some(t) => Some(uuid_of("x-facility", &t)?),
    };
    let caption = header("x-caption")?;
    let settings = buqi_photo::Settings::default();
    let filed = state.store.lock().await.add_photo(
        &state.photos,
        community,
        bytes,
        &Attachment {
            item,
            facility,
            caption,
        },
        Processing {
            settings: &settings,
            stamp: None,
            zone: local_offset(),
        },
    )?;
    Ok(PhotoAdded {
        record: filed.record,
        sha256: filed.sha256,
        new_image: filed.new_image,
    })
}

fn photo_data_url(state: &AppState, sha256: &str, variant: buqi_photo::Variant) -> Res<String> {
    let bytes = state.photos.read(sha256, variant).map_err(|e| {
        AppError::new(
            "photo_missing",
            format!("照片 {sha256} 不在本设备上：{e}"),
            format!("the photo {sha256} is not on this device: {e}"),
        )
    })?;
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[tauri::command]
pub async fn photo_thumbnail(state: State<'_, AppState>, sha256: String) -> Res<String> {
    photo_data_url(&state, &sha256, buqi_photo::Variant::Thumbnail)
}

#[tauri::command]
pub async fn photo_display(state: State<'_, AppState>, sha256: String) -> Res<String> {
    photo_data_url(&state, &sha256, buqi_photo::Variant::Display)
}

// ---- sync ----------------------------------------------------------------------------------

#[derive(Serialize)]
pub struct EnrollAnswer {
    server: String,
    device: Uuid,
}

#[tauri::command]
pub async fn enroll(state: State<'_, AppState>, server: String, code: String) -> Res<EnrollAnswer> {
    let server = server.trim().trim_end_matches('/').to_owned();
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        return Err(AppError::invalid(
            "server",
            format!("{server:?} 不是服务器地址（https://…）"),
            format!("{server:?} is not a server address (https://…)"),
        ));
    }
    let surveyor = state.settings.lock().await.surveyor.clone();
    let mut store = state.store.lock().await;
    let name = super::device_name(surveyor.as_deref(), store.device());
    let client = SyncClient::new(&server)?;
    client.enroll(&mut store, code.trim(), &name).await?;
    Ok(EnrollAnswer {
        server,
        device: store.device(),
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncStatus {
    enrolled: bool,
    server: Option<String>,
    waiting_changes: usize,
    waiting_photos: usize,
    last_sync_unix: Option<i64>,
    last_error: Option<AppError>,
    /// Merged work that does not fit together (a photo of a facility another surveyor deleted):
    /// the warnings of every community's merged survey. The tablet keeps no conflict table; the
    /// server does, and these are what the surveyor can see and fix here.
    conflicts: usize,
    syncing: bool,
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Res<SyncStatus> {
    let (syncing, last_sync_unix, last_error) = {
        let s = state.sync.lock().await;
        (s.syncing, s.last_sync_unix, s.last_error.clone())
    };
    // While a sync runs it holds the store; the counts would wait for it, so answer at once.
    let Ok(store) = state.store.try_lock() else {
        return Ok(SyncStatus {
            syncing: true,
            last_sync_unix,
            last_error,
            ..SyncStatus::default()
        });
    };
    let Some(sync) = store.sync_state()? else {
        return Ok(SyncStatus {
            syncing,
            last_sync_unix,
            last_error,
            ..SyncStatus::default()
        });
    };
    let waiting_changes = store.unpushed(sync.pushed_seq)?;
    let waiting_photos = store
        .photos_not_uploaded(&sync.server)?
        .iter()
        .filter(|sha| state.photos.contains(sha))
        .count();
    let mut conflicts = 0;
    for id in store.community_ids()? {
        if let Ok(m) = store.merged_survey(id) {
            conflicts += m.warnings.len();
        }
    }
    Ok(SyncStatus {
        enrolled: true,
        server: Some(sync.server),
        waiting_changes,
        waiting_photos,
        last_sync_unix,
        last_error,
        conflicts,
        syncing,
    })
}

#[derive(Serialize)]
pub struct SyncDone {
    pushed: usize,
    pulled: usize,
    evicted: Vec<Uuid>,
    held: usize,
    photos: usize,
    photo_bytes: u64,
}

#[derive(Clone, Serialize)]
struct SyncProgressEvent {
    phase: &'static str,
    done: usize,
    total: Option<usize>,
}

#[tauri::command]
pub async fn sync_now(app: tauri::AppHandle, state: State<'_, AppState>) -> Res<SyncDone> {
    {
        let mut s = state.sync.lock().await;
        if s.syncing {
            return Err(AppError::new(
                "sync_running",
                "同步正在进行，请等它完成",
                "a sync is already running; wait for it to finish",
            ));
        }
        s.syncing = true;
    }
    let result = run_sync(&app).await;
    let mut s = state.sync.lock().await;
    s.syncing = false;
    match result {
        Ok(done) => {
            s.last_sync_unix = Some(chrono::Utc::now().timestamp());
            s.last_error = None;
            Ok(done)
        }
        Err(e) => {
            s.last_error = Some(e.clone());
            Err(e)
        }
    }
}

/// Runs one sync (data, then photos) holding the store. The core's progress callback is not
/// `Send`, so the sync runs on a blocking thread with a runtime of its own rather than on the
/// shared runtime; the window's other commands wait for the store meanwhile.
async fn run_sync(app: &tauri::AppHandle) -> Res<SyncDone> {
    let app = app.clone();
    let joined = tauri::async_runtime::spawn_blocking(move || -> Res<SyncDone> {
        let state = app.state::<AppState>();
        let mut store = state.store.blocking_lock();
        let server = store
            .sync_state()?
            .ok_or(crate::sync::SyncError::NotEnrolled)?
            .server;
        let client = SyncClient::new(&server)?;
        let mut progress = |p: Progress| {
            let event = match p {
                Progress::Pushing { done, total } => SyncProgressEvent {
                    phase: "push",
                    done,
                    total: Some(total),
                },
                // The pull's total is not known until the last page.
                Progress::Pulling { received } => SyncProgressEvent {
                    phase: "pull",
                    done: received,
                    total: None,
                },
                Progress::Photos { done, total } => SyncProgressEvent {
                    phase: "photos",
                    done,
                    total: Some(total),
                },
                Progress::Waiting { .. } => return,
            };
            // A window that is closing may miss an event; the sync goes on regardless.
            let _ = app.emit("sync-progress", event);
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                AppError::new(
                    "runtime",
                    format!("无法开始同步：{e}"),
                    format!("cannot start the sync: {e}"),
                )
            })?;
        let report =
            runtime.block_on(client.sync_with_photos(&mut store, &state.photos, &mut progress))?;
        Ok(SyncDone {
            pushed: report.pushed,
            pulled: report.pulled,
            evicted: report.evicted,
            held: report.held,
            photos: report.photos,
            photo_bytes: report.photo_bytes,
        })
    })
    .await;
    joined.map_err(|e| {
        AppError::new(
            "sync_failed",
            format!("同步意外中止：{e}"),
            format!("the sync stopped unexpectedly: {e}"),
        )
    })?
}

// ---- checklists ----------------------------------------------------------------------------

#[tauri::command]
pub async fn checklist_templates() -> Res<Vec<ChecklistTemplate>> {
    checklist::templates().map_err(|e| {
        AppError::new(
            "bad_template",
            format!("体验活动清单模板有误：{e}"),
            format!("a checklist template is wrong: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ramp_being_filled_in_is_assessed_and_a_bad_field_is_named() {
        let standard = Standard::builtin();
        let ramp: Fields =
            serde_json::from_value(json!({"rise_m": 0.3, "length_m": 4.2, "clear_width_m": 1.2}))
                .unwrap();
        let a = assess(&ramp_of(ramp).unwrap(), &standard.ramps);
        let slope = a.checks.iter().find(|c| c.id == "running_slope").unwrap();
        // 0.3 m over 4.2 m is 1:14, within GB 55019's 1:12.
        assert_eq!(
            slope.status,
            buqi_schema::evaluate::CheckStatus::Met,
            "{slope:?}"
        );
        let bad: Fields = serde_json::from_value(json!({"rise_m": "high"})).unwrap();
        let e = ramp_of(bad).unwrap_err();
        assert!(e.message_en.starts_with("ramp.rise_m"), "{e:?}");
    }

    #[test]
    fn item_numbers_and_kinds_are_checked() {
        assert_eq!(item_of(20).unwrap(), 20);
        assert!(item_of(0).unwrap_err().message_en.contains("got 0"));
        assert!(item_of(300).is_err());
        assert!(kind_of("toilet")
            .unwrap_err()
            .message_en
            .contains("\"toilet\""));
        assert_eq!(kind_of("ramp").unwrap(), EntityKind::Ramp);
    }
}
