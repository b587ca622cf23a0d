//! The store on PostgreSQL (tokio-postgres, with a deadpool-postgres pool).
//!
//! Several `buqi serve` processes may share one database: they behave as one server. A push is one
//! transaction that first locks the row of `sync_counter` (`SELECT … FOR UPDATE`) and updates it
//! last, so pushes from every process are serialised and the log's numbers follow commit order
//! (see [`super`]). A pull is one `REPEATABLE READ` transaction, so its changes and its cursor
//! come from one snapshot. Migrations run under an advisory lock, so servers starting together on
//! an empty database create its tables once.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use buqi_schema::change::{Change, Hlc};
use buqi_schema::merge::Conflict;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use uuid::Uuid;

use super::migrations::POSTGRES as MIGRATIONS;
use super::{
    field_state, next_cursor, parse_kind, parse_role, parse_value, server_change, shown_url,
    touched_entities, AuditEntry, ChangeRow, ChangeText, Community, Device, DeviceAuth, Enrolled,
    ImportRow, Imported, Kept, Pulled, PushContext, PushOutcome, Result, StoreError, User, Winner,
    CHANGE_COLUMNS, SCHEMA_VERSION, SERVER_DEVICE,
};
use crate::clock::DEFAULT_MAX_AHEAD_SECS;
use crate::merge::{self, identity, Identity};

/// Connections the pool keeps at most.
const POOL_SIZE: usize = 16;

/// The advisory lock migrations run under (`buqi` in ASCII).
const MIGRATION_LOCK: i64 = 0x6275_7169;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        let Some(db) = e.as_db_error() else {
            // No answer from the server: the connection failed or closed.
            return StoreError::Unavailable(format!("PostgreSQL: {e}"));
        };
        let message = match db.detail() {
            Some(detail) => format!("PostgreSQL: {} ({detail})", db.message()),
            None => format!("PostgreSQL: {}", db.message()),
        };
        let code = db.code().code();
        // Connection exceptions, too many connections or out of resources, shutting down,
        // serialization failures and deadlocks: passing, so worth another try.
        if ["08", "53", "57"]
            .iter()
            .any(|class| code.starts_with(class))
            || ["40001", "40P01"].contains(&code)
        {
            StoreError::Unavailable(message)
        } else {
            StoreError::Database(message)
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> StoreError {
        StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}"))
    }
}

/// A server database on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

async fn query<C: GenericClient>(client: &C, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

async fn query_opt<C: GenericClient>(
    client: &C,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

async fn query_one<C: GenericClient>(client: &C, sql: &str, params: Params<'_>) -> Result<Row> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_one(&statement, params).await?)
}

async fn execute<C: GenericClient>(client: &C, sql: &str, params: Params<'_>) -> Result<u64> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
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

async fn audit<C: GenericClient>(client: &C, at: &DateTime<Utc>, a: Audit<'_>) -> Result<()> {
    execute(
        client,
        "INSERT INTO audit (at, action, user_id, device_id, batch, change_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            at, &a.action, &a.user, &a.device, &a.batch, &a.change, &a.detail,
        ],
    )
    .await?;
    Ok(())
}

fn user_of(row: &Row) -> Result<User> {
    Ok(User {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        role: parse_role(row.try_get(2)?)?,
        city: row.try_get(3)?,
    })
}

async fn user_named<C: GenericClient>(client: &C, name: &str) -> Result<User> {
    let row = query_opt(
        client,
        "SELECT id, name, role, city FROM users WHERE name = $1",
        &[&name],
    )
    .await?;
    user_of(&row.ok_or_else(|| StoreError::NoUser(name.to_owned()))?)
}

async fn user_by_id<C: GenericClient>(client: &C, id: Uuid) -> Result<User> {
    let row = query_opt(
        client,
        "SELECT id, name, role, city FROM users WHERE id = $1",
        &[&id],
    )
    .await?;
    user_of(&row.ok_or_else(|| StoreError::Corrupt(format!("no user has the id {id}")))?)
}

fn community_of(row: &Row) -> Result<Community> {
    Ok(Community {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        city: row.try_get(2)?,
    })
}

/// A community by id, or by a name only one community has.
async fn find_community<C: GenericClient>(client: &C, reference: &str) -> Result<Community> {
    let rows = match Uuid::parse_str(reference) {
        Ok(id) => {
            query(
                client,
                "SELECT id, name, city FROM communities WHERE id = $1",
                &[&id],
            )
            .await?
        }
        Err(_) => {
            query(
                client,
                "SELECT id, name, city FROM communities WHERE name = $1 ORDER BY id",
                &[&reference],
            )
            .await?
        }
    };
    let found = rows.iter().map(community_of).collect::<Result<Vec<_>>>()?;
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
async fn communities_of<C: GenericClient>(client: &C, user: Uuid) -> Result<Vec<Community>> {
    let rows = query(
        client,
        "SELECT c.id, c.name, c.city FROM communities c
         JOIN assignments a ON a.community = c.id
         JOIN users u ON u.id = a.user_id
         WHERE a.user_id = $1 AND c.city = u.city ORDER BY c.name, c.id",
        &[&user],
    )
    .await?;
    rows.iter().map(community_of).collect()
}

/// Every community assigned to a user, whatever its city, with its city: a push names the
/// reason it refuses a community.
async fn assigned_cities<C: GenericClient>(
    client: &C,
    user: Uuid,
) -> Result<BTreeMap<Uuid, String>> {
    let rows = query(
        client,
        "SELECT c.id, c.name, c.city FROM communities c
         JOIN assignments a ON a.community = c.id
         WHERE a.user_id = $1",
        &[&user],
    )
    .await?;
    rows.iter()
        .map(|row| community_of(row).map(|c| (c.id, c.city)))
        .collect()
}

/// Whether a community the user syncs has a photo record whose address (its winning `sha256`)
/// is `$2`, the address as the JSON text the log keeps.
const PHOTO_VISIBLE: &str = "SELECT EXISTS (
    SELECT 1 FROM changes c
    JOIN field_winners w ON w.change_id = c.id
    WHERE c.kind = 'photo' AND c.field = 'sha256' AND c.value = $2
      AND c.community IN (
          SELECT a.community FROM assignments a
          JOIN communities m ON m.id = a.community
          JOIN users u ON u.id = a.user_id
          WHERE a.user_id = $1 AND m.city = u.city))";

fn change_of(row: &Row) -> Result<ChangeRow> {
    Ok(ChangeRow {
        id: row.try_get(0)?,
        seq: row.try_get(1)?,
        community: row.try_get(2)?,
        kind: row.try_get(3)?,
        entity: row.try_get(4)?,
        field: row.try_get(5)?,
        value: row.try_get(6)?,
        hlc: row.try_get(7)?,
        device: row.try_get(8)?,
        capped_from: row.try_get(9)?,
        base_hlc: row.try_get(10)?,
        base_device: row.try_get(11)?,
    })
}

/// Who a write of changes is by, for the audit log.
struct Author {
    user: Option<Uuid>,
    device: Uuid,
    batch: Option<Uuid>,
}

/// Merges `changes` (already authorized) into the log in `tx`, which holds the counter's lock
/// (`last` its value): loads what they touch, plans by [`merge::plan`] and writes the plan.
/// Writes nothing for a replay.
async fn apply<C: GenericClient>(
    tx: &C,
    changes: &[Change],
    last: i64,
    now: Hlc,
    max_ahead: u64,
    at: &DateTime<Utc>,
    by: &Author,
) -> Result<PushOutcome> {
    let touched = touched_entities(changes);
    let mut entities = HashMap::new();
    for row in query(
        tx,
        "SELECT id, community, kind FROM entities WHERE id = ANY($1)",
        &[&touched],
    )
    .await?
    {
        let kind: String = row.try_get(2)?;
        entities.insert(
            row.try_get::<_, Uuid>(0)?,
            (row.try_get::<_, Uuid>(1)?, parse_kind(&kind)?),
        );
    }
    let stored = query(
        tx,
        &format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE entity = ANY($1)"),
        &[&touched],
    )
    .await?
    .iter()
    .map(|row| change_of(row)?.stored())
    .collect::<Result<Vec<_>>>()?;

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
        execute(
            tx,
            "INSERT INTO entities (id, community, kind) VALUES ($1, $2, $3)",
            &[&e.id, &e.community, &e.kind.id()],
        )
        .await?;
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
        let row = query_one(
            tx,
            "WITH inserted AS (
                 INSERT INTO changes (seq, community, kind, entity, field, value, hlc, device,
                                      capped_from, base_hlc, base_device, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 RETURNING id
             )
             INSERT INTO audit (at, action, user_id, device_id, batch, change_id)
             SELECT $12, 'change', $13, $8, $14, id FROM inserted
             RETURNING change_id",
            &[
                &seq,
                &c.community,
                &c.kind.id(),
                &c.entity,
                &c.field,
                &text.value,
                &text.hlc,
                &c.device,
                &text.capped_from,
                &text.base_hlc,
                &text.base_device,
                at,
                &by.user,
                &by.batch,
            ],
        )
        .await?;
        rows.insert(identity(admitted), row.try_get(0)?);
    }
    for recap in &plan.recaps {
        seq += 1;
        execute(
            tx,
            "UPDATE changes SET hlc = $2, seq = $3 WHERE id = $1",
            &[&recap.row, &recap.hlc.to_hex(), &seq],
        )
        .await?;
        let mut line = Audit::new("recap");
        line.user = by.user;
        line.device = Some(by.device);
        line.batch = by.batch;
        line.change = Some(recap.row);
        line.detail = Some(format!("capped to {}", recap.hlc));
        audit(tx, at, line).await?;
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
        execute(
            tx,
            "INSERT INTO field_winners (entity, field, change_id) VALUES ($1, $2, $3)
             ON CONFLICT (entity, field) DO UPDATE SET change_id = excluded.change_id",
            &[&f.entity, &f.field, &row_of(f.winner)?],
        )
        .await?;
        execute(
            tx,
            "DELETE FROM conflicts WHERE entity = $1 AND field = $2",
            &[&f.entity, &f.field],
        )
        .await?;
        for (winner, loser) in &f.conflicts {
            execute(
                tx,
                "INSERT INTO conflicts (entity, field, winner, loser) VALUES ($1, $2, $3, $4)",
                &[&f.entity, &f.field, &row_of(*winner)?, &row_of(*loser)?],
            )
            .await?;
        }
    }
    execute(
        tx,
        "UPDATE sync_counter SET last_seq = $1 WHERE id = 1",
        &[&seq],
    )
    .await?;
    Ok(PushOutcome {
        accepted: plan.accepted,
        duplicates: plan.duplicates,
        last_seq: seq,
    })
}

fn device_of(row: &Row) -> Result<Device> {
    Ok(Device {
        id: row.try_get(0)?,
        user: row.try_get(1)?,
        name: row.try_get(2)?,
        enrolled_at: row.try_get(3)?,
        revoked_at: row.try_get(4)?,
    })
}

const DEVICE_COLUMNS: &str = "SELECT d.id, u.name, d.name, d.enrolled_at, d.revoked_at
     FROM devices d JOIN users u ON u.id = d.user_id";

async fn migrate(pool: &Pool) -> Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL
         )",
    )
    .await?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    let current = i64::from(current);
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, now())",
            &[&(step as i32 + 1)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

impl PgStore {
    /// Connects, and brings the database's schema up to date.
    pub async fn open(url: &str) -> Result<PgStore> {
        let fail = |message: String| StoreError::Open {
            url: shown_url(url),
            message,
        };
        let config: tokio_postgres::Config = url.parse().map_err(|e| fail(format!("{e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(10)))
            .wait_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        migrate(&pool).await.map_err(|e| match e {
            StoreError::TooNew { .. } => e,
            other => fail(other.to_string()),
        })?;
        Ok(PgStore { pool })
    }

    pub async fn ping(&self) -> Result<()> {
        let client = self.pool.get().await?;
        query_one(&client, "SELECT last_seq FROM sync_counter", &[]).await?;
        Ok(())
    }

    pub async fn add_user(
        &self,
        user: User,
        password_hash: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let taken = query_opt(&tx, "SELECT 1 FROM users WHERE name = $1", &[&user.name]).await?;
        if taken.is_some() {
            return Err(StoreError::UserExists(user.name));
        }
        execute(
            &tx,
            "INSERT INTO users (id, name, role, city, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &user.id,
                &user.name,
                &user.role.id(),
                &user.city,
                &password_hash,
                &at,
            ],
        )
        .await?;
        let mut line = Audit::new("user_add");
        line.user = Some(user.id);
        line.detail = Some(format!("{} ({}, {})", user.name, user.role, user.city));
        audit(&tx, &at, line).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, name: &str) -> Result<User> {
        let client = self.pool.get().await?;
        user_named(&client, name).await
    }

    pub async fn password_hash(&self, user: &str) -> Result<Option<String>> {
        let client = self.pool.get().await?;
        let row = query_opt(
            &client,
            "SELECT password_hash FROM users WHERE name = $1",
            &[&user],
        )
        .await?;
        match row {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::NoUser(user.to_owned())),
        }
    }

    pub async fn add_community(&self, community: Community, at: DateTime<Utc>) -> Result<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let taken = query_opt(
            &tx,
            "SELECT 1 FROM communities WHERE id = $1",
            &[&community.id],
        )
        .await?;
        if taken.is_some() {
            return Err(StoreError::CommunityExists(community.id));
        }
        execute(
            &tx,
            "INSERT INTO communities (id, name, city, created_at) VALUES ($1, $2, $3, $4)",
            &[&community.id, &community.name, &community.city, &at],
        )
        .await?;
        let mut line = Audit::new("community_add");
        line.detail = Some(format!(
            "{} {} ({})",
            community.id, community.name, community.city
        ));
        audit(&tx, &at, line).await?;
        tx.commit().await?;
        Ok(())
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
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let user = user_named(&tx, user).await?;
        let community = find_community(&tx, community).await?;
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
            execute(
                &tx,
                "INSERT INTO assignments (user_id, community, assigned_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&user.id, &community.id, &at],
            )
            .await?
        } else {
            execute(
                &tx,
                "DELETE FROM assignments WHERE user_id = $1 AND community = $2",
                &[&user.id, &community.id],
            )
            .await?
        };
        if changed > 0 {
            let mut line = Audit::new(if assigned { "assign" } else { "unassign" });
            line.user = Some(user.id);
            line.detail = Some(community.id.to_string());
            audit(&tx, &at, line).await?;
        }
        tx.commit().await?;
        Ok((user, community))
    }

    pub async fn add_enroll_code(
        &self,
        user: &str,
        code_hash: &str,
        expires: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let user = user_named(&tx, user).await?;
        execute(
            &tx,
            "INSERT INTO enroll_codes (code_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&code_hash, &user.id, &at, &expires],
        )
        .await?;
        let mut line = Audit::new("enroll_code");
        line.user = Some(user.id);
        line.detail = Some(format!("valid until {}", super::rfc3339(&expires)));
        audit(&tx, &at, line).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn enroll(
        &self,
        code_hash: &str,
        device: Uuid,
        name: &str,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Enrolled> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // FOR UPDATE: two devices sending one code at once cannot both use it.
        let code = query_opt(
            &tx,
            "SELECT user_id, expires_at, used_at FROM enroll_codes WHERE code_hash = $1
             FOR UPDATE",
            &[&code_hash],
        )
        .await?
        .ok_or(StoreError::CodeUnknown)?;
        let (user_id, expires, used): (Uuid, DateTime<Utc>, Option<DateTime<Utc>>) =
            (code.try_get(0)?, code.try_get(1)?, code.try_get(2)?);
        if let Some(used) = used {
            return Err(StoreError::CodeUsed { at: used });
        }
        if expires <= at {
            return Err(StoreError::CodeExpired { at: expires });
        }
        let user = user_by_id(&tx, user_id).await?;
        let holder = query_opt(
            &tx,
            "SELECT user_id FROM devices WHERE id = $1 FOR UPDATE",
            &[&device],
        )
        .await?;
        match holder {
            Some(row) => {
                let holder: Uuid = row.try_get(0)?;
                if holder != user.id {
                    let other = user_by_id(&tx, holder).await?;
                    return Err(StoreError::DeviceTaken {
                        device,
                        user: other.name,
                    });
                }
                execute(
                    &tx,
                    "UPDATE devices SET name = $2, token_hash = $3, enrolled_at = $4,
                                        revoked_at = NULL
                     WHERE id = $1",
                    &[&device, &name, &token_hash, &at],
                )
                .await?;
            }
            None => {
                execute(
                    &tx,
                    "INSERT INTO devices (id, user_id, name, token_hash, enrolled_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&device, &user.id, &name, &token_hash, &at],
                )
                .await?;
            }
        }
        execute(
            &tx,
            "UPDATE enroll_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1",
            &[&code_hash, &at, &device],
        )
        .await?;
        let mut line = Audit::new("enroll");
        line.user = Some(user.id);
        line.device = Some(device);
        line.detail = Some(name.to_owned());
        audit(&tx, &at, line).await?;
        let communities = communities_of(&tx, user.id).await?;
        tx.commit().await?;
        Ok(Enrolled { user, communities })
    }

    pub async fn authenticate(&self, token_hash: &str) -> Result<Option<DeviceAuth>> {
        let client = self.pool.get().await?;
        let row = query_opt(
            &client,
            "SELECT u.id, u.name, u.role, u.city, d.id, d.name, d.revoked_at
             FROM devices d JOIN users u ON u.id = d.user_id
             WHERE d.token_hash = $1",
            &[&token_hash],
        )
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(DeviceAuth {
            user: user_of(&row)?,
            device: row.try_get(4)?,
            device_name: row.try_get(5)?,
            revoked_at: row.try_get(6)?,
        }))
    }

    pub async fn revoke_device(&self, device: Uuid, at: DateTime<Utc>) -> Result<Device> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let changed = execute(
            &tx,
            "UPDATE devices SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1",
            &[&device, &at],
        )
        .await?;
        if changed == 0 {
            return Err(StoreError::NoDevice(device));
        }
        let row = query_one(
            &tx,
            &format!("{DEVICE_COLUMNS} WHERE d.id = $1"),
            &[&device],
        )
        .await?;
        let found = device_of(&row)?;
        let mut line = Audit::new("revoke");
        line.device = Some(device);
        audit(&tx, &at, line).await?;
        tx.commit().await?;
        Ok(found)
    }

    pub async fn devices(&self, user: Option<&str>) -> Result<Vec<Device>> {
        let client = self.pool.get().await?;
        let rows = match user {
            Some(name) => {
                user_named(&client, name).await?;
                query(
                    &client,
                    &format!("{DEVICE_COLUMNS} WHERE u.name = $1 ORDER BY d.enrolled_at, d.id"),
                    &[&name],
                )
                .await?
            }
            None => {
                query(
                    &client,
                    &format!("{DEVICE_COLUMNS} ORDER BY d.enrolled_at, d.id"),
                    &[],
                )
                .await?
            }
        };
        rows.iter().map(device_of).collect()
    }

    pub async fn communities_of(&self, user: Uuid) -> Result<Vec<Community>> {
        let client = self.pool.get().await?;
        communities_of(&client, user).await
    }

    pub async fn communities(&self) -> Result<Vec<Community>> {
        let client = self.pool.get().await?;
        let rows = query(
            &client,
            "SELECT id, name, city FROM communities ORDER BY name, id",
            &[],
        )
        .await?;
        rows.iter().map(community_of).collect()
    }

    pub async fn push(&self, cx: &PushContext<'_>, changes: Vec<Change>) -> Result<PushOutcome> {
        let auth = cx.auth;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // First, the counter row's lock, held to the commit: pushes from every server process
        // are serialised here, so the log's numbers follow commit order and each push merges
        // against everything committed before it.
        let last: i64 = query_one(
            &tx,
            "SELECT last_seq FROM sync_counter WHERE id = 1 FOR UPDATE",
            &[],
        )
        .await?
        .try_get(0)?;
        // FOR SHARE: a revocation waits for this push, or this push sees it.
        let revoked: Option<DateTime<Utc>> = query_opt(
            &tx,
            "SELECT revoked_at FROM devices WHERE id = $1 FOR SHARE",
            &[&auth.device],
        )
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .flatten();
        if let Some(at) = revoked {
            return Err(StoreError::Revoked {
                device: auth.device,
                at,
            });
        }
        let scope = merge::Scope {
            user: auth.user.name.clone(),
            city: auth.user.city.clone(),
            assigned: assigned_cities(&tx, auth.user.id).await?,
        };
        merge::authorize(&changes, auth.device, &scope)?;

        let by = Author {
            user: Some(auth.user.id),
            device: auth.device,
            batch: Some(cx.batch),
        };
        let outcome = apply(&tx, &changes, last, cx.now, cx.max_ahead_secs, &cx.at, &by).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        now: Hlc,
        at: DateTime<Utc>,
    ) -> Result<Imported> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // The counter's lock first, as a push takes it: the community fields are numbered in
        // the log in commit order like any change.
        let last: i64 = query_one(
            &tx,
            "SELECT last_seq FROM sync_counter WHERE id = 1 FOR UPDATE",
            &[],
        )
        .await?
        .try_get(0)?;
        let mut out = Imported::default();
        let mut changes = Vec::new();
        for row in &rows {
            let c = &row.community;
            let created = execute(
                &tx,
                "INSERT INTO communities (id, name, city, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[&c.id, &c.name, &c.city, &at],
            )
            .await?;
            if created > 0 {
                out.created += 1;
                let mut line = Audit::new("community_add");
                line.detail = Some(format!("{} {} ({}) by import", c.id, c.name, c.city));
                audit(&tx, &at, line).await?;
            } else {
                let held = find_community(&tx, &c.id.to_string()).await?;
                if (&held.name, &held.city) != (&c.name, &c.city) {
                    return Err(StoreError::CommunityExists(c.id));
                }
            }
            for name in &row.surveyors {
                let user = user_named(&tx, name).await?;
                if user.city != c.city {
                    return Err(StoreError::OtherCity {
                        user: user.name,
                        user_city: user.city,
                        community: c.id,
                        name: c.name.clone(),
                        city: c.city.clone(),
                    });
                }
                let added = execute(
                    &tx,
                    "INSERT INTO assignments (user_id, community, assigned_at) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&user.id, &c.id, &at],
                )
                .await?;
                if added > 0 {
                    out.assigned += 1;
                    let mut line = Audit::new("assign");
                    line.user = Some(user.id);
                    line.detail = Some(c.id.to_string());
                    audit(&tx, &at, line).await?;
                }
            }
            for (field, value) in &row.fields {
                let held = query_opt(
                    &tx,
                    "SELECT c.value FROM field_winners w JOIN changes c ON c.id = w.change_id
                     WHERE w.entity = $1 AND w.field = $2",
                    &[&c.id, field],
                )
                .await?;
                match held {
                    None => changes.push(server_change(c.id, field, value, now)),
                    Some(held) => {
                        let held = parse_value(&held.try_get::<_, String>(0)?)?;
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
        out.fields = apply(&tx, &changes, last, now, DEFAULT_MAX_AHEAD_SECS, &at, &by)
            .await?
            .accepted;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn pull(&self, user: Uuid, after: i64, limit: usize) -> Result<Pulled> {
        let mut client = self.pool.get().await?;
        // One snapshot for the counter and the log.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let last: i64 = query_one(&tx, "SELECT last_seq FROM sync_counter WHERE id = 1", &[])
            .await?
            .try_get(0)?;
        if after > last {
            return Err(StoreError::CursorAhead { after, last });
        }
        let communities = communities_of(&tx, user).await?;
        let rows = query(
            &tx,
            &format!(
                "SELECT {CHANGE_COLUMNS} FROM changes
                 WHERE seq > $1
                   AND community IN (
                       SELECT a.community FROM assignments a
                       JOIN communities c ON c.id = a.community
                       JOIN users u ON u.id = a.user_id
                       WHERE a.user_id = $2 AND c.city = u.city)
                 ORDER BY seq LIMIT $3"
            ),
            &[&after, &user, &(limit as i64)],
        )
        .await?
        .iter()
        .map(change_of)
        .collect::<Result<Vec<_>>>()?;
        tx.commit().await?;
        let next = next_cursor(rows.len(), limit, rows.last().map(|r| r.seq), last);
        let changes = rows
            .into_iter()
            .map(ChangeRow::pulled)
            .collect::<Result<Vec<_>>>()?;
        Ok(Pulled {
            changes,
            next,
            communities,
        })
    }

    pub async fn photo_visible(&self, user: Uuid, sha256: &str) -> Result<bool> {
        let value = serde_json::Value::String(sha256.to_owned()).to_string();
        let client = self.pool.get().await?;
        Ok(query_one(&client, PHOTO_VISIBLE, &[&user, &value])
            .await?
            .try_get(0)?)
    }

    pub async fn winners(&self) -> Result<Vec<Winner>> {
        let client = self.pool.get().await?;
        let rows = query(
            &client,
            "SELECT e.community, e.kind, w.entity, w.field, c.value, c.hlc, c.device, c.capped_from
             FROM field_winners w
             JOIN changes c ON c.id = w.change_id
             JOIN entities e ON e.id = w.entity",
            &[],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Winner {
                    community: r.try_get(0)?,
                    kind: parse_kind(r.try_get(1)?)?,
                    entity: r.try_get(2)?,
                    field: r.try_get(3)?,
                    state: field_state(r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?)?,
                })
            })
            .collect()
    }

    pub async fn conflicts(&self) -> Result<Vec<Conflict>> {
        let client = self.pool.get().await?;
        let rows = query(
            &client,
            "SELECT e.community, e.kind, k.entity, k.field,
                    w.value, w.hlc, w.device, w.capped_from,
                    l.value, l.hlc, l.device, l.capped_from
             FROM conflicts k
             JOIN entities e ON e.id = k.entity
             JOIN changes w ON w.id = k.winner
             JOIN changes l ON l.id = k.loser",
            &[],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Conflict {
                    community: r.try_get(0)?,
                    kind: parse_kind(r.try_get(1)?)?,
                    entity: r.try_get(2)?,
                    field: r.try_get(3)?,
                    winner: field_state(
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                    )?,
                    loser: field_state(
                        r.try_get(8)?,
                        r.try_get(9)?,
                        r.try_get(10)?,
                        r.try_get(11)?,
                    )?,
                })
            })
            .collect()
    }

    pub async fn audit(&self) -> Result<Vec<AuditEntry>> {
        let client = self.pool.get().await?;
        let rows = query(
            &client,
            "SELECT at, action, user_id, device_id, batch, change_id, detail FROM audit ORDER BY id",
            &[],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get(0)?,
                    action: r.try_get(1)?,
                    user: r.try_get(2)?,
                    device: r.try_get(3)?,
                    batch: r.try_get(4)?,
                    change: r.try_get(5)?,
                    detail: r.try_get(6)?,
                })
            })
            .collect()
    }
}
