//! What can go wrong in the store.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{rfc3339, SCHEMA_VERSION};
use crate::merge::{PlanError, Refusal};

/// What can go wrong. Every message says what was wrong; none of these leave a half-done write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {message}")]
    Open { url: String, message: String },
    #[error("the database is at schema version {found}, newer than this buqi knows ({SCHEMA_VERSION}); update buqi (nothing was changed)")]
    TooNew { found: i64 },
    /// The database cannot be reached or is too busy: worth trying again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("the database holds something this server cannot read: {0}")]
    Corrupt(String),
    #[error("there is no user named {0:?}")]
    NoUser(String),
    #[error("there is no community {0:?}")]
    NoCommunity(String),
    #[error("{count} communities are named {name:?} ({ids}); name one by its id")]
    AmbiguousCommunity {
        name: String,
        count: usize,
        ids: String,
    },
    #[error("user {user:?} works in {user_city}, but community {community} ({name}) is in {city}: a user can be assigned only communities of their own city (nothing was changed)")]
    OtherCity {
        user: String,
        user_city: String,
        community: Uuid,
        name: String,
        city: String,
    },
    #[error("there is no device {0}")]
    NoDevice(Uuid),
    #[error("there is already a user named {0:?}")]
    UserExists(String),
    #[error("there is already a community with id {0}")]
    CommunityExists(Uuid),
    #[error("this enrollment code is unknown; check it, or ask the office for a new one")]
    CodeUnknown,
    #[error("this enrollment code was already used (at {}); ask the office for a new one", rfc3339(.at))]
    CodeUsed { at: DateTime<Utc> },
    #[error("this enrollment code expired at {}; ask the office for a new one", rfc3339(.at))]
    CodeExpired { at: DateTime<Utc> },
    #[error(
        "device {device} is enrolled for another user ({user:?}); a device id belongs to one user"
    )]
    DeviceTaken { device: Uuid, user: String },
    #[error("this device ({device}) was revoked by the office at {}; ask the office to enroll it again", rfc3339(.at))]
    Revoked { device: Uuid, at: DateTime<Utc> },
    #[error("{0} (nothing in this batch was applied)")]
    Refused(Refusal),
    #[error("the cursor after={after} is past the end of this server's log ({last}): the server's database was restored from an older backup, or this is another server; pull again from after=0")]
    CursorAhead { after: i64, last: i64 },
}

impl From<PlanError> for StoreError {
    fn from(e: PlanError) -> StoreError {
        match e {
            PlanError::Refused(r) => StoreError::Refused(r),
            PlanError::Corrupt(m) => StoreError::Corrupt(m),
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> StoreError {
        StoreError::Refused(r)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
