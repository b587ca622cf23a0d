//! Protocol v1's messages, as they travel between the tablets and the server (JSON over HTTP).
//!
//! docs/sync-protocol.md explains the protocol and docs/openapi.yaml describes it; both are kept
//! in step with these types (a test checks that every route is in the OpenAPI file).

use std::fmt;
use std::str::FromStr;

use crate::change::{Change, Hlc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The protocol's version: the `v1` in every route.
pub const VERSION: u32 = 1;

/// How many changes a pull returns when the request does not say.
pub const DEFAULT_PULL_LIMIT: usize = 500;

/// The most changes one pull returns.
pub const MAX_PULL_LIMIT: usize = 5000;

/// What a user does in the programme. Sync rights come from assignments, not from the role: every
/// device syncs exactly the communities its user is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the server for a city.
    Admin,
    /// Works in the city office: reviews surveys and conflicts.
    Office,
    /// Surveys communities in the field.
    Surveyor,
    /// A resident taking part in a survey.
    Participant,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Office, Role::Surveyor, Role::Participant];

    /// The role's name in the database, on the command line and on the wire.
    pub fn id(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Office => "office",
            Role::Surveyor => "surveyor",
            Role::Participant => "participant",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.id() == text)
            .ok_or_else(|| {
                format!("unknown role {text:?}: one of admin, office, surveyor, participant")
            })
    }
}

/// `POST /v1/enroll`: a tablet trades a one-time code from the office for its device token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The code `buqi device enroll` printed (dashes, spaces and case do not matter).
    pub code: String,
    /// The device's id: the `device` of every change it makes.
    pub device: Uuid,
    /// A name for the office to recognise the tablet by ("张工的平板").
    pub name: String,
}

/// A user as the protocol shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: Uuid,
    pub name: String,
    pub city: String,
}

/// A community as the protocol shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommunityInfo {
    pub id: Uuid,
    pub name: String,
    pub city: String,
}

/// The answer to an enrollment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device's token, for `Authorization: Bearer …`. It is shown this once: the server keeps
    /// only its hash.
    pub token: String,
    pub user: UserInfo,
    pub role: Role,
    /// The communities the user is assigned to: the ones the device may push and pull.
    pub communities: Vec<CommunityInfo>,
}

/// `POST /v1/changes`: a batch of changes the device made, applied whole or not at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The batch's id, made by the device (UUIDv7); it is kept in the audit log.
    pub batch: Uuid,
    /// The changes, as the device made them (its own clock readings, never a cap).
    pub changes: Vec<Change>,
}

/// The answer to a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Changes the server did not hold before.
    pub accepted: usize,
    /// Changes it already held (a replay): they changed nothing.
    pub duplicates: usize,
    /// The server's last sequence number once this batch was in: every change it accepted has a
    /// sequence number at or below this.
    pub last_seq: i64,
}

/// One change in a pull, with its place in the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledChange {
    pub seq: i64,
    /// The change; its `hlc` is the reading it is ordered by (the server's cap, if capped).
    pub change: Change,
    /// The reading the device gave it, when the server lowered it (see `buqi_schema::merge::admit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<Hlc>,
}

/// `GET /v1/changes?after=SEQ&limit=N`: the changes of the device's communities after a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// In sequence order.
    pub changes: Vec<PulledChange>,
    /// The cursor for the next pull (`after=next`). When fewer than `limit` changes came back, the
    /// device has everything up to the server's log as of this pull.
    pub next: i64,
    /// The communities the device's user is assigned to now. When one appears that was not there
    /// before, pull again from `after=0` to get its earlier changes.
    pub communities: Vec<CommunityInfo>,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"`: the server answers and its database does.
    pub status: String,
    pub protocol: u32,
    /// The server's version.
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// Every error's body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable, machine-readable name of the problem (`bad_hlc`, `forbidden_community`, …).
    pub code: String,
    /// What was wrong and what to do, for people.
    pub message: String,
    /// Where in the request the problem is (`changes[3].hlc`), when it is in one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The largest photo copy the server takes, in bytes (a display copy is 0.5–2 MB).
pub const MAX_PHOTO_BYTES: u64 = 64 * 1024 * 1024;

/// Headers of the photo upload routes (`/v1/photos/{sha256}/display`).
pub mod photo_headers {
    /// How many bytes of the copy the server holds (`HEAD`, `PATCH` answers), or where the bytes
    /// of a `PATCH` start.
    pub const OFFSET: &str = "upload-offset";
    /// The copy's whole length in bytes, declared by the uploader.
    pub const LENGTH: &str = "upload-length";
    /// SHA-256 of the whole copy, 64 lowercase hex digits, declared by the uploader and checked
    /// by the server when the last byte is in.
    pub const DIGEST: &str = "upload-digest";
}

/// The answer to `PATCH /v1/photos/{sha256}/display`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUpload {
    /// The photo's address (SHA-256 of the camera original, `PhotoRef.sha256`).
    pub sha256: String,
    /// The copy: `display`.
    pub variant: String,
    /// Bytes the server holds.
    pub offset: u64,
    /// The copy's whole length.
    pub length: u64,
    /// SHA-256 of the copy's bytes.
    pub digest: String,
    /// The copy is stored (verified and in place): nothing more to send.
    pub complete: bool,
}
