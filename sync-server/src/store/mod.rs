//! The server's database, behind one interface: [`Store`], on a SQLite file or on PostgreSQL.
//!
//! Both backends hold the same tables (see `sql/`): users, communities, assignments, devices,
//! one-time enrollment codes, records (`entities`), the log of changes, each field's winning
//! change, conflicts, the audit log, and the counter that numbers the log.
//!
//! # The log's numbers follow commit order
//!
//! Devices pull the log by cursor: "the changes after sequence number N". That is only safe if no
//! change can ever appear below a number a device has already read past. PostgreSQL sequences do
//! not promise that: a transaction can take number 5, another take 6 and commit first, a device
//! read 6 and move its cursor there, and then 5 commit behind it, never to be pulled. So the
//! numbers come from a one-row counter (`sync_counter`) that every push locks first and updates
//! last, in its own transaction: the next push cannot take a number until this one has committed
//! or rolled back, so numbers are handed out in commit order. On PostgreSQL the lock is the row
//! lock of `SELECT … FOR UPDATE`; on SQLite, `BEGIN IMMEDIATE` takes the file's one write lock.
//! The same lock makes each push see the changes of every push before it, so its merge is never
//! computed on a stale view. A pull reads the counter and the log in one snapshot, so its `next`
//! cursor never passes a change that is not yet visible.

mod error;
mod migrations;
mod postgres;
mod rows;
mod sqlite;

use buqi_schema::change::{Change, Hlc};
use buqi_schema::merge::{Conflict, FieldState};
use buqi_schema::record::EntityKind;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::protocol::{CommunityInfo, PulledChange, Role, UserInfo};

pub use error::{Result, StoreError};
pub use postgres::PgStore;
use rows::{
    field_state, next_cursor, parse_kind, parse_role, parse_value, touched_entities, ChangeRow,
    ChangeText, CHANGE_COLUMNS,
};
pub use sqlite::SqliteStore;

/// The database's schema version this server writes (the last migration's number).
pub const SCHEMA_VERSION: i64 = 2;

/// The device id of the server's own changes (the community fields `buqi import` writes). No
/// tablet can have it: tablets' ids are UUIDv7s, and enrollment refuses this one.
pub const SERVER_DEVICE: Uuid = Uuid::from_u128(0x0000_0000_0000_0000_8000_0000_0000_0001);

/// One community of an imported list: the community, who is assigned it, and the fields of its
/// community record the office's list gives (in the shape of `buqi_schema::record`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub community: Community,
    pub surveyors: Vec<String>,
    pub fields: Vec<(String, serde_json::Value)>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    /// Communities created.
    pub created: usize,
    /// Assignments added.
    pub assigned: usize,
    /// Community-record fields written (as the server's changes).
    pub fields: usize,
    /// Fields the server already had with another value: kept, not overwritten.
    pub kept: Vec<Kept>,
}

/// A field of a community record that the import did not write, because the server holds
/// another value for it (a surveyor's correction, or an earlier list's).
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub community: Uuid,
    pub field: String,
    pub held: serde_json::Value,
    pub listed: serde_json::Value,
}

/// A change of the server's own to a community record's field, first set (no base).
fn server_change(community: Uuid, field: &str, value: &serde_json::Value, now: Hlc) -> Change {
    Change {
        community,
        kind: EntityKind::Community,
        entity: community,
        field: field.to_owned(),
        value: value.clone(),
        hlc: now,
        device: SERVER_DEVICE,
        base: None,
    }
}

/// A user of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub city: String,
}

impl User {
    pub fn info(&self) -> UserInfo {
        UserInfo {
            id: self.id,
            name: self.name.clone(),
            city: self.city.clone(),
        }
    }
}

/// A community whose survey the server keeps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Community {
    pub id: Uuid,
    pub name: String,
    pub city: String,
}

impl Community {
    pub fn info(&self) -> CommunityInfo {
        CommunityInfo {
            id: self.id,
            name: self.name.clone(),
            city: self.city.clone(),
        }
    }
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub user: String,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who a device token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device: Uuid,
    pub device_name: String,
    pub user: User,
    /// When the office revoked the device; a revoked device is refused everything.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A device just enrolled: whose it is and what it may sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub user: User,
    pub communities: Vec<Community>,
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOutcome {
    pub accepted: usize,
    pub duplicates: usize,
    pub last_seq: i64,
}

/// One pull's worth of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    pub changes: Vec<PulledChange>,
    pub next: i64,
    pub communities: Vec<Community>,
}

/// The change that wins a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Winner {
    pub community: Uuid,
    pub kind: EntityKind,
    pub entity: Uuid,
    pub field: String,
    pub state: FieldState,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// `change`, `recap`, `enroll`, `revoke`, `enroll_code`, `user_add`, `community_add`, `assign`.
    pub action: String,
    pub user: Option<Uuid>,
    pub device: Option<Uuid>,
    pub batch: Option<Uuid>,
    /// The row of the change (`changes.id`) for `change` and `recap`.
    pub change: Option<i64>,
    pub detail: Option<String>,
}

/// Times as the SQLite backend and messages write them: RFC 3339, UTC, microseconds.
pub fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// How a push is made: by whom, when, and how far ahead a reading may be.
#[derive(Debug, Clone)]
pub struct PushContext<'a> {
    pub auth: &'a DeviceAuth,
    pub batch: Uuid,
    /// The server's clock, for [`buqi_schema::merge::admit`].
    pub now: Hlc,
    pub max_ahead_secs: u64,
    /// The wall-clock time, for the audit log.
    pub at: DateTime<Utc>,
}

/// The server's database.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Where a `--database` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    /// `sqlite:PATH`, `sqlite://PATH`, a bare path, or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Location> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.contains("://") {
            return Err(StoreError::Open {
                url: url.to_owned(),
                message: "the database must be sqlite:PATH or postgres://USER@HOST/DB".into(),
            });
        }
        if path.is_empty() {
            return Err(StoreError::Open {
                url: url.to_owned(),
                message: "no file named after sqlite:".into(),
            });
        }
        Ok(Location::Sqlite(path.into()))
    }
}

/// A database URL fit to print: without its password.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating if need be) the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        match Location::parse(url)? {
            Location::Sqlite(path) => Ok(Store::Sqlite(SqliteStore::open(&path).await?)),
            Location::Postgres(url) => Ok(Store::Postgres(PgStore::open(&url).await?)),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.ping().await,
            Store::Postgres(s) => s.ping().await,
        }
    }

    /// Adds a user; `password_hash` from [`crate::secret::hash_password`].
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        city: &str,
        password_hash: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let user = User {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            role,
            city: city.to_owned(),
        };
        match self {
            Store::Sqlite(s) => s.add_user(user, password_hash, at).await,
            Store::Postgres(s) => s.add_user(user, password_hash, at).await,
        }
    }

    /// A user, by name.
    pub async fn user(&self, name: &str) -> Result<User> {
        match self {
            Store::Sqlite(s) => s.user(name).await,
            Store::Postgres(s) => s.user(name).await,
        }
    }

    /// A user's password hash, if they have a password.
    pub async fn password_hash(&self, user: &str) -> Result<Option<String>> {
        match self {
            Store::Sqlite(s) => s.password_hash(user).await,
            Store::Postgres(s) => s.password_hash(user).await,
        }
    }

    pub async fn add_community(&self, community: Community, at: DateTime<Utc>) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.add_community(community, at).await,
            Store::Postgres(s) => s.add_community(community, at).await,
        }
    }

    /// Assigns a community (by id, or by a name only one community has) to a user (by name).
    /// Assigning twice is no error; a community of another city than the user's is refused
    /// ([`StoreError::OtherCity`]).
    pub async fn assign(
        &self,
        user: &str,
        community: &str,
        at: DateTime<Utc>,
    ) -> Result<(User, Community)> {
        match self {
            Store::Sqlite(s) => s.assign(user, community, at).await,
            Store::Postgres(s) => s.assign(user, community, at).await,
        }
    }

    /// Takes a community away from a user: their devices no longer push or pull it (and evict it
    /// once everything they made in it is on the server). Its changes stay. Unassigning what is
    /// not assigned is no error.
    pub async fn unassign(
        &self,
        user: &str,
        community: &str,
        at: DateTime<Utc>,
    ) -> Result<(User, Community)> {
        match self {
            Store::Sqlite(s) => s.unassign(user, community, at).await,
            Store::Postgres(s) => s.unassign(user, community, at).await,
        }
    }

    /// Keeps a new one-time enrollment code (its hash) for a user, valid until `expires`.
    pub async fn add_enroll_code(
        &self,
        user: &str,
        code_hash: &str,
        expires: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        match self {
            Store::Sqlite(s) => s.add_enroll_code(user, code_hash, expires, at).await,
            Store::Postgres(s) => s.add_enroll_code(user, code_hash, expires, at).await,
        }
    }

    /// Writes an imported list in one transaction: every community, assignment and
    /// community-record field, or nothing. A community already held must have the same name and
    /// city; a surveyor must be of the community's city. A field is written (stamped `now`, by
    /// [`SERVER_DEVICE`], and numbered in the log, so tablets pull it like any change) only when
    /// the server has no value for it: importing again changes nothing, and a value a surveyor
    /// set is never overwritten (it is reported in [`Imported::kept`]).
    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        now: Hlc,
        at: DateTime<Utc>,
    ) -> Result<Imported> {
        match self {
            Store::Sqlite(s) => s.import(rows, now, at).await,
            Store::Postgres(s) => s.import(rows, now, at).await,
        }
    }

    /// Uses up an enrollment code: the device is enrolled for the code's user with the token
    /// whose hash is `token_hash`. A device enrolled before for the same user gets the new token
    /// (the old one stops working) and is no longer revoked.
    pub async fn enroll(
        &self,
        code_hash: &str,
        device: Uuid,
        name: &str,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Enrolled> {
        if device == SERVER_DEVICE {
            return Err(StoreError::DeviceTaken {
                device,
                user: "the server itself".into(),
            });
        }
        match self {
            Store::Sqlite(s) => s.enroll(code_hash, device, name, token_hash, at).await,
            Store::Postgres(s) => s.enroll(code_hash, device, name, token_hash, at).await,
        }
    }

    /// Who the token with this hash belongs to (revoked devices included: the caller refuses
    /// them with a message that says so).
    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>> {
        match self {
            Store::Sqlite(s) => s.authenticate(token_hash).await,
            Store::Postgres(s) => s.authenticate(token_hash).await,
        }
    }

    /// Revokes a device: its token is refused from now on. Revoking twice keeps the first time.
    pub async fn revoke_device(&self, device: Uuid, at: DateTime<Utc>) -> Result<Device> {
        match self {
            Store::Sqlite(s) => s.revoke_device(device, at).await,
            Store::Postgres(s) => s.revoke_device(device, at).await,
        }
    }

    /// The enrolled devices (of one user, if named), by enrollment time.
    pub async fn devices(&self, user: Option<&str>) -> Result<Vec<Device>> {
        match self {
            Store::Sqlite(s) => s.devices(user).await,
            Store::Postgres(s) => s.devices(user).await,
        }
    }

    /// Every community on the server, by name.
    pub async fn communities(&self) -> Result<Vec<Community>> {
        match self {
            Store::Sqlite(s) => s.communities().await,
            Store::Postgres(s) => s.communities().await,
        }
    }

    /// The communities assigned to a user in the user's own city (what their devices sync), by
    /// name.
    pub async fn communities_of(&self, user: Uuid) -> Result<Vec<Community>> {
        match self {
            Store::Sqlite(s) => s.communities_of(user).await,
            Store::Postgres(s) => s.communities_of(user).await,
        }
    }

    /// Applies a batch of changes, whole or not at all (see [`crate::merge`]).
    pub async fn push(&self, cx: &PushContext<'_>, changes: Vec<Change>) -> Result<PushOutcome> {
        match self {
            Store::Sqlite(s) => s.push(cx, changes).await,
            Store::Postgres(s) => s.push(cx, changes).await,
        }
    }

    /// Up to `limit` changes of the user's communities with sequence numbers above `after`.
    pub async fn pull(&self, user: Uuid, after: i64, limit: usize) -> Result<Pulled> {
        match self {
            Store::Sqlite(s) => s.pull(user, after, limit).await,
            Store::Postgres(s) => s.pull(user, after, limit).await,
        }
    }

    /// Whether a community the user's devices sync (assigned, of the user's city) has a photo
    /// record whose address is `sha256`: only then may they download the photo.
    pub async fn photo_visible(&self, user: Uuid, sha256: &str) -> Result<bool> {
        match self {
            Store::Sqlite(s) => s.photo_visible(user, sha256).await,
            Store::Postgres(s) => s.photo_visible(user, sha256).await,
        }
    }

    /// Every field's winning change, by record and field.
    pub async fn winners(&self) -> Result<Vec<Winner>> {
        let mut winners = match self {
            Store::Sqlite(s) => s.winners().await,
            Store::Postgres(s) => s.winners().await,
        }?;
        winners.sort_by(|a, b| (a.entity, &a.field).cmp(&(b.entity, &b.field)));
        Ok(winners)
    }

    /// Every conflict, in the order [`buqi_schema::merge::Replica::conflicts`] gives them.
    pub async fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut conflicts = match self {
            Store::Sqlite(s) => s.conflicts().await,
            Store::Postgres(s) => s.conflicts().await,
        }?;
        conflicts.sort_by(|a, b| {
            (a.entity, &a.field, a.winner.stamp, a.loser.stamp).cmp(&(
                b.entity,
                &b.field,
                b.winner.stamp,
                b.loser.stamp,
            ))
        });
        Ok(conflicts)
    }

    /// The audit log, oldest first.
    pub async fn audit(&self) -> Result<Vec<AuditEntry>> {
        match self {
            Store::Sqlite(s) => s.audit().await,
            Store::Postgres(s) => s.audit().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            Location::parse("sqlite:buqi.db").unwrap(),
            Location::Sqlite("buqi.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/buqi.db").unwrap(),
            Location::Sqlite("/var/lib/buqi.db".into())
        );
        assert_eq!(
            Location::parse("data/wuhan.db").unwrap(),
            Location::Sqlite("data/wuhan.db".into())
        );
        assert!(matches!(
            Location::parse("postgresql://u@h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(Location::parse("mysql://u@h/db").is_err());
        assert!(Location::parse("sqlite:").is_err());
        assert_eq!(
            shown_url("postgres://buqi:s3cret@db.local:5432/buqi"),
            "postgres://buqi:***@db.local:5432/buqi"
        );
        assert_eq!(shown_url("postgres://buqi@h/db"), "postgres://buqi@h/db");
        assert_eq!(shown_url("sqlite:buqi.db"), "sqlite:buqi.db");
    }
}
