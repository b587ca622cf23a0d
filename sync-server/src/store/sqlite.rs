//! The store on a SQLite file (rusqlite): WAL, `synchronous = FULL`, foreign keys on.
//!
//! One writer connection does every write, so writes queue in the process instead of retrying on
//! `SQLITE_BUSY`; reads use a small pool of their own connections, which WAL lets run beside the
//! writer. All of it runs on tokio's blocking threads. A push is one `BEGIN IMMEDIATE`
//! transaction: SQLite's single write lock is what numbers the log in commit order (see
//! [`super`]). With `synchronous = FULL`, a push that was answered survives the process being
//! killed and the machine losing power.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use buqi_schema::change::{Change, Hlc};
use buqi_schema::merge::Conflict;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use super::migrations::SQLITE as MIGRATIONS;
use super::{
    field_state, next_cursor, parse_kind, parse_role, parse_value, rfc3339, server_change,
    touched_entities, AuditEntry, ChangeRow, ChangeText, Community, Device, DeviceAuth, Enrolled,
    ImportRow, Imported, Kept, Pulled, PushContext, PushOutcome, Result, StoreError, User, Winner,
    CHANGE_COLUMNS, SCHEMA_VERSION, SERVER_DEVICE,
};
use crate::clock::DEFAULT_MAX_AHEAD_SECS;
use crate::merge::{self, identity, Identity};

/// Read connections kept open between reads.
const READERS: usize = 8;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            // Another process held the file longer than the busy timeout.
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// A server database in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "the file cannot be put in WAL mode (it is in {mode} mode)"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    // A push alone runs a dozen statements per change; parsing them again each time was a third
    // of its cost.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    INTEGER PRIMARY KEY,
             applied_at TEXT NOT NULL
         ) STRICT",
    )?;
    let current: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![step as i64 + 1, rfc3339(&Utc::now())],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("{text:?} is not an id")))
}

fn opt_uuid(text: Option<String>) -> Result<Option<Uuid>> {
    text.as_deref().map(uuid).transpose()
}

fn time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("{text:?} is not a time")))
}

fn opt_time(text: Option<String>) -> Result<Option<DateTime<Utc>>> {
    text.as_deref().map(time).transpose()
}

/// One line for the audit log.
struct Audit<'a> {
    action: &'a str,
    user: Option<Uuid>,
    device: Option<Uuid>,
    batch: Option<Uuid>,
    change: Option<i64>,
    detail: Option<String>,
}

impl<'a> Audit<'a> {
    fn new(action: &'a str) -> Audit<'a> {
        Audit {
            action,
            user: None,
            device: None,
            batch: None,
            change: None,
            detail: None,
        }
    }
}

fn audit(tx: &Transaction, at: &DateTime<Utc>, a: Audit) -> Result<()> {
    // Cached: a push writes one line per change.
    tx.prepare_cached(
        "INSERT INTO audit (at, action, user_id, device_id, batch, change_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        rfc3339(at),
        a.action,
        a.user.map(|u| u.to_string()),
        a.device.map(|d| d.to_string()),
        a.batch.map(|b| b.to_string()),
        a.change,
        a.detail,
    ])?;
    Ok(())
}

fn user_row(row: &Row) -> rusqlite::Result<(String, String, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn user_of((id, name, role, city): (String, String, String, String)) -> Result<User> {
    Ok(User {
        id: uuid(&id)?,
        name,
        role: parse_role(&role)?,
        city,
    })
}

fn user_named(conn: &Connection, name: &str) -> Result<User> {
    let row = conn
        .query_row(
            "SELECT id, name, role, city FROM users WHERE name = ?1",
            [name],
            user_row,
        )
        .optional()?;
    user_of(row.ok_or_else(|| StoreError::NoUser(name.to_owned()))?)
}

fn user_by_id(conn: &Connection, id: Uuid) -> Result<User> {
    let row = conn
        .query_row(
            "SELECT id, name, role, city FROM users WHERE id = ?1",
            [id.to_string()],
            user_row,
        )
        .optional()?;
    user_of(row.ok_or_else(|| StoreError::Corrupt(format!("no user has the id {id}")))?)
}

fn community_rows(conn: &Connection, sql: &str, param: &str) -> Result<Vec<Community>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map([param], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, name, city)| {
            Ok(Community {
                id: uuid(&id)?,
                name,
                city,
            })
        })
        .collect()
}

/// A community by id, or by a name only one community has.
fn find_community(conn: &Connection, reference: &str) -> Result<Community> {
    let found = match Uuid::parse_str(reference) {
        Ok(id) => community_rows(
            conn,
            "SELECT id, name, city FROM communities WHERE id = ?1",
            &id.to_string(),
        )?,
        Err(_) => community_rows(
            conn,
            "SELECT id, name, city FROM communities WHERE name = ?1 ORDER BY id",
            reference,
        )?,
    };
    match found.len() {
        0 => Err(StoreError::NoCommunity(reference.to_owned())),
        1 => Ok(found.into_iter().next().expect("one community")),
        count => Err(StoreError::AmbiguousCommunity {
            name: reference.to_owned(),
            count,
            ids: found
                .iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The communities a user's devices sync: assigned, and of the user's own city.
fn communities_of(conn: &Connection, user: Uuid) -> Result<Vec<Community>> {
    community_rows(
        conn,
        "SELECT c.id, c.name, c.city FROM communities c
         JOIN assignments a ON a.community = c.id
         JOIN users u ON u.id = a.user_id
         WHERE a.user_id = ?1 AND c.city = u.city ORDER BY c.name, c.id",
        &user.to_string(),
    )
}

/// Every community assigned to a user, whatever its city, with its city: a push names the
/// reason it refuses a community.
fn assigned_cities(conn: &Connection, user: Uuid) -> Result<BTreeMap<Uuid, String>> {
    community_rows(
        conn,
        "SELECT c.id, c.name, c.city FROM communities c
         JOIN assignments a ON a.community = c.id
         WHERE a.user_id = ?1",
        &user.to_string(),
    )
    .map(|found| found.into_iter().map(|c| (c.id, c.city)).collect())
}

/// Whether a community the user syncs has a photo record whose address (its winning `sha256`)
/// is `?2`, the address as the JSON text the log keeps.
const PHOTO_VISIBLE: &str = "SELECT EXISTS (
    SELECT 1 FROM changes c
    JOIN field_winners w ON w.change_id = c.id
    WHERE c.kind = 'photo' AND c.field = 'sha256' AND c.value = ?2
      AND c.community IN (
          SELECT a.community FROM assignments a
          JOIN communities m ON m.id = a.community
          JOIN users u ON u.id = a.user_id
          WHERE a.user_id = ?1 AND m.city = u.city))";

/// A `changes` row as SQLite gives it, in [`CHANGE_COLUMNS`] order.
type RawChange = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn change_row(r: &Row) -> rusqlite::Result<RawChange> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn change_of(raw: RawChange) -> Result<ChangeRow> {
    let (
        id,
        seq,
        community,
        kind,
        entity,
        field,
        value,
        hlc,
        device,
        capped_from,
        base_hlc,
        base_device,
    ) = raw;
    Ok(ChangeRow {
        id,
        seq,
        community: uuid(&community)?,
        kind,
        entity: uuid(&entity)?,
        field,
        value,
        hlc,
        device: uuid(&device)?,
        capped_from,
        base_hlc,
        base_device: opt_uuid(base_device)?,
    })
}

fn changes_where(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<ChangeRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CHANGE_COLUMNS} FROM changes WHERE {filter}"
    ))?;
    let rows = stmt
        .query_map(args, change_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(change_of).collect()
}

impl SqliteStore {
    /// Opens the file (creating it if need be) and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let shown = format!("sqlite:{}", path.display());
            let mut writer = connect(&path).map_err(|e| StoreError::Open {
                url: shown.clone(),
                message: e.to_string(),
            })?;
            migrate(&mut writer).map_err(|e| match e {
                StoreError::TooNew { .. } => e,
                other => StoreError::Open {
                    url: shown,
                    message: other.to_string(),
                },
            })?;
            Ok(SqliteStore {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    readers: Mutex::new(Vec::new()),
                }),
            })
        })
        .await
        .map_err(|e| StoreError::Database(format!("the database task failed: {e}")))?
    }

    /// Runs `f` on the writer connection, on a blocking thread.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Database(format!("the database task failed: {e}")))?
    }

    /// Runs `f` on a read connection, on a blocking thread.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let out = f(&mut conn);
            let mut pool = inner.readers.lock().unwrap_or_else(PoisonError::into_inner);
            if pool.len() < READERS {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Database(format!("the database task failed: {e}")))?
    }

    pub async fn ping(&self) -> Result<()> {
        self.read(|conn| {
            conn.query_row("SELECT last_seq FROM sync_counter", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(())
        })
        .await
    }

    pub async fn add_user(
        &self,
        user: User,
        password_hash: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                [&user.name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::UserExists(user.name));
            }
            tx.execute(
                "INSERT INTO users (id, name, role, city, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    user.id.to_string(),
                    user.name,
                    user.role.id(),
                    user.city,
                    password_hash,
                    rfc3339(&at)
                ],
            )?;
            let mut line = Audit::new("user_add");
            line.user = Some(user.id);
            line.detail = Some(format!("{} ({}, {})", user.name, user.role, user.city));
            audit(&tx, &at, line)?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    pub async fn user(&self, name: &str) -> Result<User> {
        let name = name.to_owned();
        self.read(move |conn| user_named(conn, &name)).await
    }

    pub async fn password_hash(&self, user: &str) -> Result<Option<String>> {
        let user = user.to_owned();
        self.read(move |conn| {
            let row: Option<Option<String>> = conn
                .query_row(
                    "SELECT password_hash FROM users WHERE name = ?1",
                    [&user],
                    |r| r.get(0),
                )
                .optional()?;
            row.ok_or(StoreError::NoUser(user))
        })
        .await
    }

    pub async fn add_community(&self, community: Community, at: DateTime<Utc>) -> Result<()> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM communities WHERE id = ?1)",
                [community.id.to_string()],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::CommunityExists(community.id));
            }
            tx.execute(
                "INSERT INTO communities (id, name, city, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    community.id.to_string(),
                    community.name,
                    community.city,
                    rfc3339(&at)
                ],
            )?;
            let mut line = Audit::new("community_add");
            line.detail = Some(format!(
                "{} {} ({})",
                community.id, community.name, community.city
            ));
            audit(&tx, &at, line)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn assign(
        &self,
        user: &str,
        community: &str,
        at: DateTime<Utc>,
    ) -> Result<(User, Community)> {
        self.set_assignment(user, community, at, true).await
    }

    pub async fn unassign(
        &self,
        user: &str,
        community: &str,
        at: DateTime<Utc>,
    ) -> Result<(User, Community)> {
        self.set_assignment(user, community, at, false).await
    }

    /// Adds or removes an assignment; audited only when it changed something.
    async fn set_assignment(
        &self,
        user: &str,
        community: &str,
        at: DateTime<Utc>,
        assigned: bool,
    ) -> Result<(User, Community)> {
        let (user, community) = (user.to_owned(), community.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let user = user_named(&tx, &user)?;
            let community = find_community(&tx, &community)?;
            if assigned && community.city != user.city {
                return Err(StoreError::OtherCity {
                    user: user.name,
                    user_city: user.city,
                    community: community.id,
                    name: community.name,
                    city: community.city,
                });
            }
            let changed = if assigned {
                tx.execute(
                    "INSERT INTO assignments (user_id, community, assigned_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![user.id.to_string(), community.id.to_string(), rfc3339(&at)],
                )?
            } else {
                tx.execute(
                    "DELETE FROM assignments WHERE user_id = ?1 AND community = ?2",
                    params![user.id.to_string(), community.id.to_string()],
                )?
            };
            if changed > 0 {
                let mut line = Audit::new(if assigned { "assign" } else { "unassign" });
                line.user = Some(user.id);
                line.detail = Some(community.id.to_string());
                audit(&tx, &at, line)?;
            }
            tx.commit()?;
            Ok((user, community))
        })
        .await
    }

    pub async fn add_enroll_code(
        &self,
        user: &str,
        code_hash: &str,
        expires: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let (user, code_hash) = (user.to_owned(), code_hash.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let user = user_named(&tx, &user)?;
            tx.execute(
                "INSERT INTO enroll_codes (code_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    code_hash,
                    user.id.to_string(),
                    rfc3339(&at),
                    rfc3339(&expires)
                ],
            )?;
            let mut line = Audit::new("enroll_code");
            line.user = Some(user.id);
            line.detail = Some(format!("valid until {}", rfc3339(&expires)));
            audit(&tx, &at, line)?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    pub async fn enroll(
        &self,
        code_hash: &str,
        device: Uuid,
        name: &str,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Enrolled> {
        let (code_hash, name, token_hash) =
            (code_hash.to_owned(), name.to_owned(), token_hash.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let code: Option<(String, String, Option<String>)> = tx
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM enroll_codes WHERE code_hash = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (user_id, expires, used) = code.ok_or(StoreError::CodeUnknown)?;
            if let Some(used) = opt_time(used)? {
                return Err(StoreError::CodeUsed { at: used });
            }
            let expires = time(&expires)?;
            if expires <= at {
                return Err(StoreError::CodeExpired { at: expires });
            }
            let user = user_by_id(&tx, uuid(&user_id)?)?;
            let holder: Option<String> = tx
                .query_row(
                    "SELECT user_id FROM devices WHERE id = ?1",
                    [device.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            match holder {
                Some(holder) if uuid(&holder)? != user.id => {
                    let other = user_by_id(&tx, uuid(&holder)?)?;
                    return Err(StoreError::DeviceTaken {
                        device,
                        user: other.name,
                    });
                }
                Some(_) => {
                    tx.execute(
                        "UPDATE devices SET name = ?2, token_hash = ?3, enrolled_at = ?4,
                                            revoked_at = NULL
                         WHERE id = ?1",
                        params![device.to_string(), name, token_hash, rfc3339(&at)],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO devices (id, user_id, name, token_hash, enrolled_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            device.to_string(),
                            user.id.to_string(),
                            name,
                            token_hash,
                            rfc3339(&at)
                        ],
                    )?;
                }
            }
            tx.execute(
                "UPDATE enroll_codes SET used_at = ?2, used_by = ?3 WHERE code_hash = ?1",
                params![code_hash, rfc3339(&at), device.to_string()],
            )?;
            let mut line = Audit::new("enroll");
            line.user = Some(user.id);
            line.device = Some(device);
            line.detail = Some(name);
            audit(&tx, &at, line)?;
            let communities = communities_of(&tx, user.id)?;
            tx.commit()?;
            Ok(Enrolled { user, communities })
        })
        .await
    }

    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>> {
        let token_hash = token_hash.to_owned();
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT d.id, d.name, d.revoked_at, u.id, u.name, u.role, u.city
                     FROM devices d JOIN users u ON u.id = d.user_id
                     WHERE d.token_hash = ?1",
                    [&token_hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
                        ))
                    },
                )
                .optional()?;
            let Some((device, device_name, revoked, user)) = row else {
                return Ok(None);
            };
            Ok(Some(DeviceAuth {
                device: uuid(&device)?,
                device_name,
                user: user_of(user)?,
                revoked_at: opt_time(revoked)?,
            }))
        })
        .await
    }

    pub async fn revoke_device(&self, device: Uuid, at: DateTime<Utc>) -> Result<Device> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                params![device.to_string(), rfc3339(&at)],
            )?;
            if changed == 0 {
                return Err(StoreError::NoDevice(device));
            }
            let found = device_list(&tx, "WHERE d.id = ?1", &device.to_string())?;
            let found = found
                .into_iter()
                .next()
                .ok_or(StoreError::NoDevice(device))?;
            let mut line = Audit::new("revoke");
            line.device = Some(device);
            audit(&tx, &at, line)?;
            tx.commit()?;
            Ok(found)
        })
        .await
    }

    pub async fn devices(&self, user: Option<&str>) -> Result<Vec<Device>> {
        let user = user.map(str::to_owned);
        self.read(move |conn| match user {
            Some(name) => {
                user_named(conn, &name)?;
                device_list(conn, "WHERE u.name = ?1", &name)
            }
            None => device_list(conn, "WHERE ?1 = ?1", ""),
        })
        .await
    }

    pub async fn communities_of(&self, user: Uuid) -> Result<Vec<Community>> {
        self.read(move |conn| communities_of(conn, user)).await
    }

    pub async fn communities(&self) -> Result<Vec<Community>> {
        self.read(|conn| {
            // `?1 = ?1` only gives the shared row reader its one parameter.
            community_rows(
                conn,
                "SELECT id, name, city FROM communities WHERE ?1 = ?1 ORDER BY name, id",
                "",
            )
        })
        .await
    }

    pub async fn push(&self, cx: &PushContext<'_>, changes: Vec<Change>) -> Result<PushOutcome> {
        let auth = cx.auth.clone();
        let (batch, now, max_ahead, at) = (cx.batch, cx.now, cx.max_ahead_secs, cx.at);
        self.write(move |conn| {
            // The file's write lock, held to the commit: pushes are serialised, and the log's
            // numbers follow commit order.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revoked: Option<Option<String>> = tx
                .query_row(
                    "SELECT revoked_at FROM devices WHERE id = ?1",
                    [auth.device.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(at) = opt_time(revoked.flatten())? {
                return Err(StoreError::Revoked {
                    device: auth.device,
                    at,
                });
            }
            let scope = merge::Scope {
                user: auth.user.name.clone(),
                city: auth.user.city.clone(),
                assigned: assigned_cities(&tx, auth.user.id)?,
            };
            merge::authorize(&changes, auth.device, &scope)?;
            let by = Author {
                user: Some(auth.user.id),
                device: auth.device,
                batch: Some(batch),
            };
            let outcome = apply(&tx, &changes, now, max_ahead, &at, &by)?;
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        now: Hlc,
        at: DateTime<Utc>,
    ) -> Result<Imported> {
        self.write(move |conn| {
            // One transaction, under the lock pushes take: the whole list or nothing, and the
            // community fields numbered in the log like any push.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut out = Imported::default();
            let mut changes = Vec::new();
            for row in &rows {
                let c = &row.community;
                let created = tx.execute(
                    "INSERT INTO communities (id, name, city, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                    params![c.id.to_string(), c.name, c.city, rfc3339(&at)],
                )?;
                if created > 0 {
                    out.created += 1;
                    let mut line = Audit::new("community_add");
                    line.detail = Some(format!("{} {} ({}) by import", c.id, c.name, c.city));
                    audit(&tx, &at, line)?;
                } else {
                    let held = find_community(&tx, &c.id.to_string())?;
                    if (&held.name, &held.city) != (&c.name, &c.city) {
                        return Err(StoreError::CommunityExists(c.id));
                    }
                }
                for name in &row.surveyors {
                    let user = user_named(&tx, name)?;
                    if user.city != c.city {
                        return Err(StoreError::OtherCity {
                            user: user.name,
                            user_city: user.city,
                            community: c.id,
                            name: c.name.clone(),
                            city: c.city.clone(),
                        });
                    }
                    let added = tx.execute(
                        "INSERT INTO assignments (user_id, community, assigned_at)
                         VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                        params![user.id.to_string(), c.id.to_string(), rfc3339(&at)],
                    )?;
                    if added > 0 {
                        out.assigned += 1;
                        let mut line = Audit::new("assign");
                        line.user = Some(user.id);
                        line.detail = Some(c.id.to_string());
                        audit(&tx, &at, line)?;
                    }
                }
                for (field, value) in &row.fields {
                    let held: Option<String> = tx
                        .query_row(
                            "SELECT c.value FROM field_winners w JOIN changes c ON c.id = w.change_id
                             WHERE w.entity = ?1 AND w.field = ?2",
                            params![c.id.to_string(), field],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match held {
                        None => changes.push(server_change(c.id, field, value, now)),
                        Some(text) => {
                            let held = parse_value(&text)?;
                            if held != *value {
                                out.kept.push(Kept {
                                    community: c.id,
                                    field: field.clone(),
                                    held,
                                    listed: value.clone(),
                                });
                            }
                        }
                    }
                }
            }
            let by = Author {
                user: None,
                device: SERVER_DEVICE,
                batch: None,
            };
            out.fields = apply(&tx, &changes, now, DEFAULT_MAX_AHEAD_SECS, &at, &by)?.accepted;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    pub async fn pull(&self, user: Uuid, after: i64, limit: usize) -> Result<Pulled> {
        self.read(move |conn| {
            // One read transaction: the counter and the log come from one snapshot.
            let tx = conn.transaction()?;
            let last: i64 =
                tx.query_row("SELECT last_seq FROM sync_counter WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
            if after > last {
                return Err(StoreError::CursorAhead { after, last });
            }
            let communities = communities_of(&tx, user)?;
            let rows = changes_where(
                &tx,
                "seq > ?1 AND community IN (
                     SELECT a.community FROM assignments a
                     JOIN communities c ON c.id = a.community
                     JOIN users u ON u.id = a.user_id
                     WHERE a.user_id = ?2 AND c.city = u.city)
                 ORDER BY seq LIMIT ?3",
                &[&after, &user.to_string(), &(limit as i64)],
            )?;
            let next = next_cursor(rows.len(), limit, rows.last().map(|r| r.seq), last);
            let changes = rows
                .into_iter()
                .map(ChangeRow::pulled)
                .collect::<Result<Vec<_>>>()?;
            tx.finish()?;
            Ok(Pulled {
                changes,
                next,
                communities,
            })
        })
        .await
    }

    pub async fn photo_visible(&self, user: Uuid, sha256: &str) -> Result<bool> {
        let value = serde_json::Value::String(sha256.to_owned()).to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(PHOTO_VISIBLE)?;
            Ok(stmt.query_row(params![user.to_string(), value], |r| r.get(0))?)
        })
        .await
    }

    pub async fn winners(&self) -> Result<Vec<Winner>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT e.community, e.kind, w.entity, w.field, c.value, c.hlc, c.device, c.capped_from
                 FROM field_winners w
                 JOIN changes c ON c.id = w.change_id
                 JOIN entities e ON e.id = w.entity",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(community, kind, entity, field, value, hlc, device, capped)| {
                    Ok(Winner {
                        community: uuid(&community)?,
                        kind: parse_kind(&kind)?,
                        entity: uuid(&entity)?,
                        field,
                        state: field_state(&value, &hlc, uuid(&device)?, capped.as_deref())?,
                    })
                })
                .collect()
        })
        .await
    }

    pub async fn conflicts(&self) -> Result<Vec<Conflict>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT e.community, e.kind, k.entity, k.field,
                        w.value, w.hlc, w.device, w.capped_from,
                        l.value, l.hlc, l.device, l.capped_from
                 FROM conflicts k
                 JOIN entities e ON e.id = k.entity
                 JOIN changes w ON w.id = k.winner
                 JOIN changes l ON l.id = k.loser",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    let mut cols: Vec<Option<String>> = Vec::with_capacity(12);
                    for i in 0..12 {
                        cols.push(r.get(i)?);
                    }
                    Ok(cols)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|cols| {
                    let text = |i: usize| -> Result<String> {
                        cols[i].clone().ok_or_else(|| {
                            StoreError::Corrupt("a conflict has an empty column".into())
                        })
                    };
                    Ok(Conflict {
                        community: uuid(&text(0)?)?,
                        kind: parse_kind(&text(1)?)?,
                        entity: uuid(&text(2)?)?,
                        field: text(3)?,
                        winner: field_state(
                            &text(4)?,
                            &text(5)?,
                            uuid(&text(6)?)?,
                            cols[7].as_deref(),
                        )?,
                        loser: field_state(
                            &text(8)?,
                            &text(9)?,
                            uuid(&text(10)?)?,
                            cols[11].as_deref(),
                        )?,
                    })
                })
                .collect()
        })
        .await
    }

    pub async fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT at, action, user_id, device_id, batch, change_id, detail FROM audit ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(at, action, user, device, batch, change, detail)| {
                    Ok(AuditEntry {
                        at: time(&at)?,
                        action,
                        user: opt_uuid(user)?,
                        device: opt_uuid(device)?,
                        batch: opt_uuid(batch)?,
                        change,
                        detail,
                    })
                })
                .collect()
        })
        .await
    }
}

/// Who a write of changes is by, for the audit log.
struct Author {
    user: Option<Uuid>,
    device: Uuid,
    batch: Option<Uuid>,
}

/// Merges `changes` (already authorized) into the log in `tx`, which holds the write lock: loads
/// what they touch, plans by [`merge::plan`] and writes the plan. Writes nothing for a replay.
fn apply(
    tx: &Transaction,
    changes: &[Change],
    now: Hlc,
    max_ahead: u64,
    at: &DateTime<Utc>,
    by: &Author,
) -> Result<PushOutcome> {
    let last: i64 = tx.query_row("SELECT last_seq FROM sync_counter WHERE id = 1", [], |r| {
        r.get(0)
    })?;

    let mut entities = HashMap::new();
    let mut stored = Vec::new();
    for entity in touched_entities(changes) {
        let held: Option<(String, String)> = tx
            .prepare_cached("SELECT community, kind FROM entities WHERE id = ?1")?
            .query_row([entity.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((community, kind)) = held {
            entities.insert(entity, (uuid(&community)?, parse_kind(&kind)?));
        }
        for row in changes_where(tx, "entity = ?1", &[&entity.to_string()])? {
            stored.push(row.stored()?);
        }
    }

    let plan = merge::plan(changes, &stored, &entities, now, max_ahead)?;
    if plan.is_empty() {
        // A replay: nothing to write.
        return Ok(PushOutcome {
            accepted: 0,
            duplicates: plan.duplicates,
            last_seq: last,
        });
    }
    for e in &plan.entities {
        tx.prepare_cached("INSERT INTO entities (id, community, kind) VALUES (?1, ?2, ?3)")?
            .execute(params![
                e.id.to_string(),
                e.community.to_string(),
                e.kind.id()
            ])?;
    }
    let mut rows: HashMap<Identity, i64> = stored
        .iter()
        .map(|s| (identity(&s.admitted), s.row))
        .collect();
    let mut seq = last;
    for admitted in &plan.inserts {
        seq += 1;
        let c = &admitted.change;
        let text = ChangeText::of(admitted);
        tx.prepare_cached(
            "INSERT INTO changes (seq, community, kind, entity, field, value, hlc, device,
                                  capped_from, base_hlc, base_device, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            seq,
            c.community.to_string(),
            c.kind.id(),
            c.entity.to_string(),
            c.field,
            text.value,
            text.hlc,
            c.device.to_string(),
            text.capped_from,
            text.base_hlc,
            text.base_device.map(|d| d.to_string()),
            rfc3339(at),
        ])?;
        let row = tx.last_insert_rowid();
        rows.insert(identity(admitted), row);
        let mut line = Audit::new("change");
        line.user = by.user;
        line.device = Some(by.device);
        line.batch = by.batch;
        line.change = Some(row);
        audit(tx, at, line)?;
    }
    for recap in &plan.recaps {
        seq += 1;
        tx.prepare_cached("UPDATE changes SET hlc = ?2, seq = ?3 WHERE id = ?1")?
            .execute(params![recap.row, recap.hlc.to_hex(), seq])?;
        let mut line = Audit::new("recap");
        line.user = by.user;
        line.device = Some(by.device);
        line.batch = by.batch;
        line.change = Some(recap.row);
        line.detail = Some(format!("capped to {}", recap.hlc));
        audit(tx, at, line)?;
    }
    for f in &plan.fields {
        let row_of = |stamp| {
            rows.get(&(f.entity, f.field.clone(), stamp))
                .copied()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "record {} field {:?}: a change the merge names is not stored",
                        f.entity, f.field
                    ))
                })
        };
        tx.prepare_cached(
            "INSERT INTO field_winners (entity, field, change_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (entity, field) DO UPDATE SET change_id = excluded.change_id",
        )?
        .execute(params![f.entity.to_string(), f.field, row_of(f.winner)?])?;
        tx.prepare_cached("DELETE FROM conflicts WHERE entity = ?1 AND field = ?2")?
            .execute(params![f.entity.to_string(), f.field])?;
        for (winner, loser) in &f.conflicts {
            tx.prepare_cached(
                "INSERT INTO conflicts (entity, field, winner, loser) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                f.entity.to_string(),
                f.field,
                row_of(*winner)?,
                row_of(*loser)?
            ])?;
        }
    }
    tx.prepare_cached("UPDATE sync_counter SET last_seq = ?1 WHERE id = 1")?
        .execute([seq])?;
    Ok(PushOutcome {
        accepted: plan.accepted,
        duplicates: plan.duplicates,
        last_seq: seq,
    })
}

fn device_list(conn: &Connection, filter: &str, param: &str) -> Result<Vec<Device>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT d.id, u.name, d.name, d.enrolled_at, d.revoked_at
         FROM devices d JOIN users u ON u.id = d.user_id
         {filter} ORDER BY d.enrolled_at, d.id"
    ))?;
    let rows = stmt
        .query_map([param], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, user, name, enrolled, revoked)| {
            Ok(Device {
                id: uuid(&id)?,
                user,
                name,
                enrolled_at: time(&enrolled)?,
                revoked_at: opt_time(revoked)?,
            })
        })
        .collect()
}
