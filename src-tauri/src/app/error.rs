//! Errors as the window shows them: `{ code, message_zh, message_en }`. The code is stable (the UI
//! may react to it: `not_enrolled` offers enrollment); the messages say what was wrong and where.
//! The core's messages are English and name records and fields precisely; the Chinese message
//! says the same thing in a sentence and keeps the core's detail, whose record ids and field
//! paths read the same in both languages.

use buqi_measure::{ReplayError, WalkError};
use serde::Serialize;

use crate::measuring::MeasureError;
use crate::photos::PhotoFileError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppError {
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl AppError {
    pub fn new(code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError {
            code: code.to_owned(),
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    /// A bad argument from the window: `what` names it (`item`, `fields.kind`).
    pub fn invalid(what: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        let (zh, en) = (zh.into(), en.into());
        AppError::new(
            "invalid_argument",
            format!("参数 {what} 有误：{zh}"),
            format!("{what}: {en}"),
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message_en)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        let en = e.to_string();
        let (code, zh) = match &e {
            StoreError::Open { .. } | StoreError::Migrate { .. } | StoreError::Sql(_) => {
                ("database", "调查数据库出错，未做任何更改")
            }
            StoreError::TooNew { .. } => (
                "database_too_new",
                "调查数据库由更新版本的应用写入，请先更新应用",
            ),
            StoreError::NotFound { .. } => ("not_found", "本设备上没有这条记录"),
            StoreError::Deleted { .. } => ("deleted", "这条记录已删除，请先恢复再编辑"),
            StoreError::Refused { .. } => ("refused", "修改被拒绝，未做任何更改"),
            StoreError::ReservedField { .. } => ("reserved_field", "这个字段不能这样修改"),
            StoreError::BadFile(_) => ("bad_file", "社区文件有误，未导入任何内容"),
            StoreError::AlreadyHere { .. } => ("already_here", "该社区已在本设备上，未导入"),
            StoreError::IdTaken { .. } => (
                "id_taken",
                "社区文件中的编号已被本设备上的其他记录使用，未导入",
            ),
            StoreError::StampReused { .. } => {
                ("stamp_reused", "服务器发来的修改与本设备记录不一致，未应用")
            }
        };
        AppError::new(code, format!("{zh}：{en}"), en)
    }
}

impl From<MeasureError> for AppError {
    fn from(e: MeasureError) -> AppError {
        match e {
            MeasureError::Store(s) => s.into(),
            MeasureError::Walk(w) => w.into(),
            other => {
                let en = other.to_string();
                AppError::new("measure", format!("测量未记录：{en}"), en)
            }
        }
    }
}

impl From<WalkError> for AppError {
    fn from(e: WalkError) -> AppError {
        let en = format!("the boundary walk gives no area: {e}");
        AppError::new("walk", format!("边界步行无法计算面积：{e}"), en)
    }
}

impl From<PhotoFileError> for AppError {
    fn from(e: PhotoFileError) -> AppError {
        match e {
            PhotoFileError::Record(s) => s.into(),
            PhotoFileError::Image(p) => {
                let en = format!("the photo was not added: {p}");
                AppError::new("photo", format!("照片未添加：{p}"), en)
            }
        }
    }
}

impl From<ReplayError> for AppError {
    fn from(e: ReplayError) -> AppError {
        AppError::new(
            "replay_file",
            format!("GPS 回放文件无法读取：{e}"),
            format!("the GPS replay file cannot be read: {e}"),
        )
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> AppError {
        let e = match e {
            SyncError::Store(s) => return s.into(),
            other => other,
        };
        let en = e.to_string();
        let (code, zh) = match &e {
            SyncError::NotEnrolled => (
                "not_enrolled",
                "本设备尚未注册到服务器：请先扫描办公室提供的注册码".to_owned(),
            ),
            SyncError::Unreachable { server, .. } => (
                "unreachable",
                format!("无法连接服务器 {server}，已保存的工作不受影响，稍后重试"),
            ),
            SyncError::Refused { status: 401, .. } => (
                "unauthorized",
                "服务器不认这台设备（可能已被注销），请联系办公室重新注册".to_owned(),
            ),
            SyncError::Refused { status: 403, .. } => {
                ("forbidden", "服务器拒绝了同步：该社区未分配给您".to_owned())
            }
            SyncError::Refused { status: 429, .. } => {
                ("rate_limited", "服务器繁忙，稍后自动重试".to_owned())
            }
            SyncError::Refused { .. } => ("refused_by_server", "服务器拒绝了请求".to_owned()),
            SyncError::BadAnswer { .. } => ("bad_answer", "服务器的回复无法读取".to_owned()),
            SyncError::Photo { .. } => ("photo", "本设备上的照片无法读取".to_owned()),
            // Handled above; kept so the match needs no panic.
            SyncError::Store(_) => ("database", "同步时数据库出错".to_owned()),
        };
        AppError::new(code, format!("{zh}：{en}"), en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_store_error_names_the_record_in_both_languages() {
        let id = Uuid::nil();
        let e = AppError::from(StoreError::NotFound {
            kind: buqi_schema::record::EntityKind::Facility,
            id,
        });
        assert_eq!(e.code, "not_found");
        assert!(e.message_en.contains(&id.to_string()), "{e:?}");
        assert!(e.message_zh.starts_with("本设备上没有这条记录"), "{e:?}");
        assert!(e.message_zh.contains(&id.to_string()), "{e:?}");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 3);
    }

    #[test]
    fn sync_refusals_get_their_own_codes() {
        assert_eq!(AppError::from(SyncError::NotEnrolled).code, "not_enrolled");
        let e = AppError::from(SyncError::Refused {
            what: "the push",
            status: 401,
            code: "unauthorized".into(),
            message: "revoked".into(),
        });
        assert_eq!(e.code, "unauthorized");
        assert!(e.message_en.contains("revoked"));
    }
}
