//! The tablet's offline store: one SQLite file that holds every survey on the device and the log
//! of every edit made to them.
//!
//! Records are kept the way [`buqi_schema::record`] splits a survey: one table per kind of record
//! (`community`, `facility`, `measurement`, `entrance`, `ramp`, `gps_point`, `photo`,
//! `checklist_run`, `checkpoint`), each row an id, its community, a tombstone flag and its fields
//! as a JSON object. Columns the app's queries filter on (a facility's kind, a photo's hash, a
//! checkpoint's run) are generated from the fields, so they can never disagree with them.
//!
//! Every edit goes through [`Store`]'s methods and is, in one SQLite transaction:
//! 1. applied to the record's fields,
//! 2. checked by assembling the whole survey and validating it exactly as a survey file is
//!    validated (an edit that would make the survey unreadable is refused and changes nothing),
//! 3. written to the `change` log, one row per field, stamped with the device's hybrid logical
//!    clock and id: the log the sync client sends.
//!
//! Changes pulled from the server go into the same log and are merged by the rules of
//! `buqi_schema::merge` (see `pull.rs`); a survey is read with `record::assemble_merged`, so work
//! merged from several surveyors that does not fit together is shown with warnings, not hidden.
//!
//! The file runs in WAL mode with `synchronous = FULL`: an edit the store has acknowledged (its
//! method returned `Ok`) survives the app being killed and the tablet losing power.

mod clock;
mod edit;
mod exchange;
mod pull;
mod query;
mod sync_state;

use std::path::{Path, PathBuf};

use buqi_schema::change::Hlc;
use buqi_schema::record::EntityKind;
use buqi_schema::InvalidSurvey;
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use uuid::Uuid;

pub use clock::{Clock, MAX_DRIFT};
pub use edit::Batch;
pub use pull::Pulled;
pub use query::{CommunityProgress, ItemView, LoggedChange};
pub use sync_state::SyncState;

/// The store's schema, one migration per step. Never edit a shipped step: add one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001-records-and-changes.sql")),
    M::up(include_str!("migrations/002-photo-uploads.sql")),
    M::up(include_str!("migrations/003-pushed-changes.sql")),
];

/// An open survey database.
pub struct Store {
    conn: Connection,
    device: Uuid,
    clock: Clock,
    path: PathBuf,
}

/// What can go wrong with the store. Every message says what was wrong and what was (not) done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the survey database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the survey database {path} was written by a newer version of buqi; update the app to open it (nothing was changed)"
    )]
    TooNew { path: PathBuf },
    #[error("cannot prepare the survey database {path}: {message}")]
    Migrate { path: PathBuf, message: String },
    #[error("no {kind} with id {id} is on this device")]
    NotFound { kind: EntityKind, id: Uuid },
    #[error("{kind} {id} has been deleted; restore it before editing it")]
    Deleted { kind: EntityKind, id: Uuid },
    /// `kind` and `id` name the first record the refused batch changed; the problems name the
    /// records and fields that are wrong.
    #[error("the edit was refused and nothing was changed:\n{problems}")]
    Refused {
        kind: EntityKind,
        id: Uuid,
        problems: InvalidSurvey,
    },
    #[error("the field {field:?} of {kind} records cannot be set this way: {why}")]
    ReservedField {
        kind: EntityKind,
        field: String,
        why: &'static str,
    },
    #[error("the community file was not imported, nothing was changed:\n{0}")]
    BadFile(InvalidSurvey),
    #[error(
        "community {id} ({name}) is already on this device; nothing was imported (delete it here first, or import a copy with a new id)"
    )]
    AlreadyHere { id: Uuid, name: String },
    #[error(
        "the community file uses id {id} for a {kind}, but that id already belongs to another record on this device; nothing was imported"
    )]
    IdTaken { id: Uuid, kind: EntityKind },
    #[error(
        "the server sent {kind} {id} field {field:?} stamped {stamp} with a value or base other than the one this device holds under that stamp; the page was not applied"
    )]
    StampReused {
        kind: EntityKind,
        id: Uuid,
        field: String,
        stamp: Hlc,
    },
    #[error("the survey database failed: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    /// Opens (creating if needed) the survey database at `path`, migrating it to the current
    /// schema. The first open makes this device's id, a UUIDv7 kept in the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        // WAL: readers never block the writer. FULL: a commit is on disk before it is acknowledged.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;

        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|e| match e {
                rusqlite_migration::Error::MigrationDefinition(
                    rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
                ) => StoreError::TooNew { path: path.clone() },
                other => StoreError::Migrate {
                    path: path.clone(),
                    message: other.to_string(),
                },
            })?;

        let device = device_id(&conn)?;
        let seen: Option<String> = conn
            .query_row("SELECT max(hlc) FROM change", [], |r| r.get(0))
            .optional()?
            .flatten();
        let clock = Clock::new(device, seen.as_deref().and_then(Hlc::from_hex));
        Ok(Store {
            conn,
            device,
            clock,
            path,
        })
    }

    /// This device's id: the `device` of every change it makes.
    pub fn device(&self) -> Uuid {
        self.device
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's own consistency check of the file: `["ok"]` when all is well.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The device's id, made on the first open.
fn device_id(conn: &Connection) -> Result<Uuid> {
    let existing: Option<String> = conn
        .query_row("SELECT id FROM device", [], |r| r.get(0))
        .optional()?;
    if let Some(text) = existing {
        if let Ok(id) = Uuid::parse_str(&text) {
            return Ok(id);
        }
    }
    let id = Uuid::now_v7();
    conn.execute(
        "INSERT INTO device (singleton, id, created_at) VALUES (1, ?1, strftime('%Y-%m-%dT%H:%M:%fZ'))
         ON CONFLICT (singleton) DO UPDATE SET id = excluded.id",
        [id.to_string()],
    )?;
    Ok(id)
}

/// The table that holds records of a kind. Table names are the kinds' ids, fixed strings.
fn table(kind: EntityKind) -> &'static str {
    kind.id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }

    #[test]
    fn device_id_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("survey.db");
        let first = Store::open(&path).unwrap().device();
        let again = Store::open(&path).unwrap().device();
        assert_eq!(first, again);
        assert_eq!(first.get_version_num(), 7);
    }

    #[test]
    fn a_database_from_a_newer_app_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("survey.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
        assert!(err.to_string().contains("newer version of buqi"), "{err}");
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 99);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("survey.db");
        std::fs::write(
            &path,
            b"this is a text file, not SQLite, and it is long enough to have a header",
        )
        .unwrap();
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("survey.db"), "{err}");
    }
}
