//! The app's settings, kept as `settings.json` beside the survey database. Settings are the
//! surveyor's preferences and the GPS source; nothing in them changes a verdict.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub lang: Lang,
    pub theme: Theme,
    /// 1.0–2.0: the app must work at 200 % text.
    pub text_scale: f64,
    pub gps: GpsSettings,
    #[serde(default)]
    pub basemap_path: Option<String>,
    #[serde(default)]
    pub surveyor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    HighContrast,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpsSettings {
    pub source: GpsSource,
    #[serde(default)]
    pub replay_path: Option<String>,
    /// Times real time; 1.0 replays a walk at the pace it was recorded.
    pub replay_speed: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpsSource {
    Platform,
    Replay,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            lang: Lang::Zh,
            theme: Theme::Light,
            text_scale: 1.0,
            gps: GpsSettings {
                source: GpsSource::Platform,
                replay_path: None,
                replay_speed: 1.0,
            },
            basemap_path: None,
            surveyor: None,
        }
    }
}

/// The fastest replay: a 10-minute walk in a tenth of a second is no longer a walk anyone watches.
pub const MAX_REPLAY_SPEED: f64 = 1000.0;

impl Settings {
    /// Refuses values the app cannot honour, naming the field.
    pub fn check(&self) -> Result<(), AppError> {
        if !(1.0..=2.0).contains(&self.text_scale) {
            return Err(AppError::invalid(
                "settings.text_scale",
                format!("应在 1.0 到 2.0 之间，收到 {}", self.text_scale),
                format!("expected 1.0 to 2.0, got {}", self.text_scale),
            ));
        }
        let speed = self.gps.replay_speed;
        if !(speed > 0.0 && speed <= MAX_REPLAY_SPEED) {
            return Err(AppError::invalid(
                "settings.gps.replay_speed",
                format!("应大于 0 且不超过 {MAX_REPLAY_SPEED}，收到 {speed}"),
                format!("expected above 0 and at most {MAX_REPLAY_SPEED}, got {speed}"),
            ));
        }
        if self.gps.source == GpsSource::Replay
            && self
                .gps
                .replay_path
                .as_deref()
                .is_none_or(|p| p.trim().is_empty())
        {
            return Err(AppError::invalid(
                "settings.gps.replay_path",
                "回放 GPS 需要选择一个 NMEA 或 GPX 文件",
                "the replay GPS source needs an NMEA or GPX file",
            ));
        }
        Ok(())
    }

    /// Writes the basemap's path as the device resolves it: the webview's asset protocol refuses
    /// a path with `..` in it, and a link may point elsewhere tomorrow.
    pub fn resolve_basemap(&mut self) {
        if let Some(path) = self
            .basemap_path
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            if let Ok(resolved) = std::fs::canonicalize(path) {
                self.basemap_path = Some(resolved.display().to_string());
            }
        }
    }

    /// Refuses a basemap that is not on the device. Checked when the surveyor saves settings,
    /// not when the app starts: a basemap deleted since must not keep the app from opening (the
    /// map then says it has none).
    pub fn check_basemap(&self) -> Result<(), AppError> {
        if let Some(path) = self
            .basemap_path
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            if !Path::new(path).is_file() {
                return Err(AppError::invalid(
                    "settings.basemap_path",
                    format!("找不到底图文件 {path}（应为设备上的 .pmtiles 文件）"),
                    format!("no basemap file at {path} (expected a .pmtiles file on the device)"),
                ));
            }
        }
        Ok(())
    }

    /// Reads `settings.json`; a missing file is the defaults. A file that cannot be read is
    /// reported rather than silently replaced, so a surveyor's settings are never lost unseen.
    pub fn load(path: &Path) -> Result<Settings, AppError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(io_error(path, &e)),
        };
        let de = &mut serde_json::Deserializer::from_str(&text);
        let settings: Settings = serde_path_to_error::deserialize(de).map_err(|e| {
            AppError::new(
                "bad_settings",
                format!(
                    "设置文件 {} 的 {} 有误：{}",
                    path.display(),
                    e.path(),
                    e.inner()
                ),
                format!(
                    "the settings file {} is wrong at {}: {}",
                    path.display(),
                    e.path(),
                    e.inner()
                ),
            )
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// Writes `settings.json` whole (a temporary file renamed over the old one), so a crash
    /// mid-write leaves the old settings, not half of the new.
    pub fn save(&self, path: &Path) -> Result<(), AppError> {
        self.check()?;
        self.check_basemap()?;
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            AppError::new(
                "bad_settings",
                format!("设置无法保存：{e}"),
                format!("the settings cannot be saved: {e}"),
            )
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(|e| io_error(&tmp, &e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, &e))
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> AppError {
    AppError::new(
        "io",
        format!("无法读写 {}：{e}", path.display()),
        format!("cannot read or write {}: {e}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let s = Settings {
            lang: Lang::En,
            theme: Theme::HighContrast,
            text_scale: 2.0,
            gps: GpsSettings {
                source: GpsSource::Replay,
                replay_path: Some("/tmp/walk.gpx".into()),
                replay_speed: 20.0,
            },
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["gps"]["source"], "replay");
        assert_eq!(json["theme"], "high_contrast");
    }

    #[test]
    fn bad_settings_name_the_field() {
        let s = Settings {
            text_scale: 3.0,
            ..Settings::default()
        };
        assert!(s
            .check()
            .unwrap_err()
            .message_en
            .starts_with("settings.text_scale"));
        let mut s = Settings::default();
        s.gps.source = GpsSource::Replay;
        assert!(s
            .check()
            .unwrap_err()
            .message_en
            .starts_with("settings.gps.replay_path"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"lang":"fr","theme":"light","text_scale":1,"gps":{"source":"platform","replay_speed":1}}"#).unwrap();
        let e = Settings::load(&path).unwrap_err();
        assert_eq!(e.code, "bad_settings");
        assert!(e.message_en.contains("at lang"), "{e:?}");
    }

    #[test]
    fn a_basemap_must_be_on_the_device_when_saved_but_not_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let map = dir.path().join("wuhan.pmtiles");
        let s = Settings {
            basemap_path: Some(map.display().to_string()),
            ..Settings::default()
        };
        let e = s.save(&path).unwrap_err();
        assert!(e.message_en.starts_with("settings.basemap_path"), "{e:?}");
        assert!(!path.exists(), "a refused setting is not saved");

        std::fs::write(&map, b"PMTiles").unwrap();
        let mut dotted = Settings {
            basemap_path: Some(
                dir.path()
                    .join("sub/../wuhan.pmtiles")
                    .display()
                    .to_string(),
            ),
            ..Settings::default()
        };
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        dotted.resolve_basemap();
        assert_eq!(
            dotted.basemap_path,
            Some(std::fs::canonicalize(&map).unwrap().display().to_string())
        );
        let s = dotted;
        s.save(&path).unwrap();
        // Deleted since: the app still opens with the settings it had.
        std::fs::remove_file(&map).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
    }
}
