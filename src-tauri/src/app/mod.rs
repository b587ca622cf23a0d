//! The window: Tauri commands and events over the core, as docs/app-commands.md lists them.
//! The survey database lives in the platform's app data folder (on Linux
//! `$XDG_DATA_HOME/cn.buqi.app/`, by default `~/.local/share/cn.buqi.app/`), with the photo
//! folder and `settings.json` beside it.

pub mod commands;
pub mod error;
pub mod gps;
pub mod settings;

use std::path::{Path, PathBuf};

use buqi_photo::PhotoFolder;
use buqi_schema::Standard;
use tauri::Manager;
use tokio::sync::Mutex;

use crate::store::Store;
use crate::sync::SyncClient;
use error::AppError;
use settings::Settings;

/// What the commands share. The store is behind an async mutex because a sync holds it across
/// network waits; edits made meanwhile wait for the sync rather than interleave with its cursors.
pub struct AppState {
    pub store: Mutex<Store>,
    pub standard: Standard,
    pub photos: PhotoFolder,
    pub settings: Mutex<Settings>,
    pub settings_path: PathBuf,
    pub gps: gps::Gps,
    pub sync: Mutex<SyncInfo>,
}

/// What the app remembers about syncing while it runs (the store keeps the cursors).
#[derive(Debug, Default)]
pub struct SyncInfo {
    pub syncing: bool,
    pub last_sync_unix: Option<i64>,
    pub last_error: Option<AppError>,
}

impl AppState {
    /// Opens (creating if needed) the store, the photo folder and the settings in `dir`.
    pub fn open(dir: &Path) -> Result<AppState, AppError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::new(
                "io",
                format!("无法创建数据文件夹 {}：{e}", dir.display()),
                format!("cannot create the data folder {}: {e}", dir.display()),
            )
        })?;
        let store = Store::open(dir.join("survey.db"))?;
        let photos = PhotoFolder::open(dir.join("photos")).map_err(|e| {
            AppError::new(
                "io",
                format!("无法打开照片文件夹：{e}"),
                format!("cannot open the photo folder: {e}"),
            )
        })?;
        let settings_path = dir.join("settings.json");
        let settings = Settings::load(&settings_path)?;
        Ok(AppState {
            store: Mutex::new(store),
            standard: Standard::builtin(),
            photos,
            settings: Mutex::new(settings),
            settings_path,
            gps: gps::Gps::default(),
            sync: Mutex::new(SyncInfo::default()),
        })
    }
}

/// An enrollment to make on the first start (for `make run` and kiosk set-ups): from
/// `--enroll-server URL --enroll-code CODE` or `BUQI_ENROLL_SERVER` and `BUQI_ENROLL_CODE`.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstEnroll {
    pub server: String,
    pub code: String,
}

impl FirstEnroll {
    pub fn from_args(args: &[String], env: impl Fn(&str) -> Option<String>) -> Option<FirstEnroll> {
        let arg = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1).cloned())
                .or_else(|| {
                    let prefix = format!("{name}=");
                    args.iter()
                        .find_map(|a| a.strip_prefix(&prefix).map(str::to_owned))
                })
        };
        let server = arg("--enroll-server").or_else(|| env("BUQI_ENROLL_SERVER"))?;
        let code = arg("--enroll-code").or_else(|| env("BUQI_ENROLL_CODE"))?;
        Some(FirstEnroll { server, code })
    }
}

/// Enrolls unless the store is enrolled already: a code is single-use, so starting the app a
/// second time with the same code must not spend (and fail on) it again.
async fn enroll_once(state: &AppState, first: &FirstEnroll) -> Result<bool, AppError> {
    let mut store = state.store.lock().await;
    if store.sync_state()?.is_some() {
        return Ok(false);
    }
    let client = SyncClient::new(&first.server)?;
    let name = device_name(
        state.settings.lock().await.surveyor.as_deref(),
        store.device(),
    );
    client.enroll(&mut store, &first.code, &name).await?;
    // A first sync, so the communities the office assigned are on the tablet when the window
    // opens. Its failure is reported but does not undo the enrollment: the surveyor can sync
    // from the sync screen.
    if let Err(e) = client.sync(&mut store, &mut |_| {}).await {
        eprintln!(
            "buqi-app: enrolled, but the first sync failed: {}",
            AppError::from(e).message_en
        );
    }
    Ok(true)
}

/// The name the office sees for this tablet: the surveyor's, if set in settings, with the end
/// of the device id so two tablets of one surveyor can be told apart.
pub fn device_name(surveyor: Option<&str>, device: uuid::Uuid) -> String {
    let id = device.simple().to_string();
    let short = &id[id.len() - 8..];
    match surveyor.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => format!("{} 的平板 {short}", s.chars().take(60).collect::<String>()),
        None => format!("补齐 buqi 平板 {short}"),
    }
}

/// Starts the window.
/// Lets the map read the offline basemap the surveyor chose, and nothing else on the device, by
/// the asset protocol (which answers the ranged requests PMTiles makes).
pub fn allow_basemap(app: &tauri::AppHandle, settings: &Settings) {
    if let Some(path) = settings
        .basemap_path
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        if let Err(e) = app.asset_protocol_scope().allow_file(path) {
            eprintln!("buqi-app: the basemap {path} cannot be opened to the map: {e}");
        }
    }
}

pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    let first = FirstEnroll::from_args(&args, |k| std::env::var(k).ok());
    let result = tauri::Builder::default()
        .setup(move |app| {
            let dir = app.path().app_data_dir()?;
            let state = AppState::open(&dir).map_err(|e| e.message_en.clone())?;
            if let Some(first) = &first {
                match tauri::async_runtime::block_on(enroll_once(&state, first)) {
                    Ok(true) => eprintln!("buqi-app: enrolled with {}", first.server),
                    Ok(false) => {}
                    // The window still opens: the surveyor sees "not enrolled" and can enroll
                    // by hand; the reason is printed for whoever started it.
                    Err(e) => eprintln!(
                        "buqi-app: enrollment with {} failed: {}",
                        first.server, e.message_en
                    ),
                }
            }
            if let Ok(settings) = state.settings.try_lock() {
                allow_basemap(app.handle(), &settings);
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::standard,
            commands::settings_get,
            commands::settings_set,
            commands::communities,
            commands::create_community,
            commands::survey,
            commands::evaluation,
            commands::item_view,
            commands::create_record,
            commands::update_record,
            commands::delete_record,
            commands::restore_record,
            commands::record,
            commands::export_community,
            commands::import_community,
            commands::ramp_assess,
            commands::walk_preview,
            commands::record_boundary_walk,
            commands::record_tape_area,
            commands::gps_start,
            commands::gps_stop,
            commands::add_photo,
            commands::photo_thumbnail,
            commands::photo_display,
            commands::enroll,
            commands::sync_status,
            commands::sync_now,
            commands::checklist_templates,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("buqi-app: the window could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_enrollment_from_arguments_or_environment() {
        let args: Vec<String> = [
            "buqi-app",
            "--enroll-server",
            "http://127.0.0.1:8080",
            "--enroll-code=ABCD-1234",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            FirstEnroll::from_args(&args, |_| None),
            Some(FirstEnroll {
                server: "http://127.0.0.1:8080".into(),
                code: "ABCD-1234".into()
            })
        );
        let env = |k: &str| match k {
            "BUQI_ENROLL_SERVER" => Some("http://s".to_owned()),
            "BUQI_ENROLL_CODE" => Some("C".to_owned()),
            _ => None,
        };
        assert_eq!(
            FirstEnroll::from_args(&["buqi-app".into()], env)
                .unwrap()
                .code,
            "C"
        );
        assert_eq!(FirstEnroll::from_args(&["buqi-app".into()], |_| None), None);
    }

    #[test]
    fn a_device_name_is_never_empty() {
        let id = uuid::Uuid::now_v7();
        assert!(device_name(None, id).starts_with("补齐 buqi 平板 "));
        assert!(device_name(Some("  "), id).starts_with("补齐 buqi 平板 "));
        assert!(device_name(Some("张三"), id).starts_with("张三 的平板 "));
    }

    #[test]
    fn the_state_opens_in_an_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(&dir.path().join("cn.buqi.app")).unwrap();
        assert!(state.settings_path.ends_with("settings.json"));
        assert_eq!(state.standard.items.len(), 20);
    }
}
