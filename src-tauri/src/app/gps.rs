//! The GPS source for `gps_start`: a replayed track (NMEA or GPX, for demos and tests), emitted
//! as `gps-fix` events at `replay_speed`× the pace it was recorded. The platform source is the
//! webview's own geolocation on Android and iOS (the window passes those fixes to the measuring
//! commands itself); the Linux webview denies geolocation, so here it is reported unavailable.

use std::time::Duration;

use buqi_measure::Fix;
use tauri::async_runtime::JoinHandle;
use tauri::Emitter;
use tokio::sync::Mutex;

use super::error::AppError;
use super::settings::{GpsSettings, GpsSource};

/// The running replay, if any.
#[derive(Default)]
pub struct Gps {
    task: Mutex<Option<JoinHandle<()>>>,
}

/// Longest pause between two replayed fixes, in replay time: a receiver that lost the sky for
/// minutes would otherwise stall a demo.
const MAX_GAP: Duration = Duration::from_secs(10);

pub async fn start(
    app: tauri::AppHandle,
    gps: &Gps,
    settings: &GpsSettings,
) -> Result<(), AppError> {
    match settings.source {
        GpsSource::Platform => Err(AppError::new(
            "gps_unavailable",
            "本设备的系统定位不可用（桌面版网页视图不提供定位）：请在设置中选择 GPS 回放文件",
            "the platform's location is not available here (the desktop webview gives none): choose a GPS replay file in settings",
        )),
        GpsSource::Replay => {
            let path = settings.replay_path.clone().unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|e| {
                AppError::new(
                    "replay_file",
                    format!("无法读取 GPS 回放文件 {path}：{e}"),
                    format!("cannot read the GPS replay file {path}: {e}"),
                )
            })?;
            let fixes = buqi_measure::parse_track(&text)?;
            stop(gps).await;
            let speed = settings.replay_speed;
            let task = tauri::async_runtime::spawn(replay(app, fixes, speed));
            *gps.task.lock().await = Some(task);
            Ok(())
        }
    }
}

pub async fn stop(gps: &Gps) {
    if let Some(task) = gps.task.lock().await.take() {
        task.abort();
    }
}

/// Emits each fix after the gap that preceded it in the track, divided by `speed`. Each fix is
/// stamped with the time it is emitted, as a live receiver's would be: the walk is being made
/// now, and the recorded times only set the pace.
async fn replay(app: tauri::AppHandle, fixes: Vec<Fix>, speed: f64) {
    let mut previous: Option<i64> = None;
    for fix in fixes {
        if let (Some(p), Some(t)) = (previous, fix.taken_at_ms) {
            let gap = Duration::from_millis(t.saturating_sub(p).max(0) as u64).min(MAX_GAP);
            tokio::time::sleep(gap.div_f64(speed)).await;
        }
        previous = fix.taken_at_ms.or(previous);
        let live = Fix {
            taken_at_ms: Some(chrono::Utc::now().timestamp_millis()),
            ..fix
        };
        if app.emit("gps-fix", live).is_err() {
            return;
        }
    }
}
