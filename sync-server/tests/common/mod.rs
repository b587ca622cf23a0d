//! What the integration tests share: databases to test on (a SQLite file, a PostgreSQL database
//! on the server `BUQI_TEST_POSTGRES` names), a populated server, changes, and an HTTP client.
#![allow(dead_code)]

pub mod cut_proxy;
pub mod http;
pub mod photo_cut;

use std::net::SocketAddr;

use buqi_schema::change::{Change, Hlc, Stamp};
use buqi_schema::record::EntityKind;
use buqi_server::protocol::Role;
use buqi_server::secret::{code_hash, new_enroll_code, new_token, token_hash};
use buqi_server::serve::{self, AppState, Config};
use buqi_server::store::{Community, DeviceAuth, Store};
use chrono::{Duration, Utc};
use serde_json::Value;
use tempfile::TempDir;
use uuid::Uuid;

/// A database for one test: a SQLite file in a temporary directory, or a fresh database on the
/// test PostgreSQL server.
pub enum TestDb {
    Sqlite(TempDir),
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

/// The PostgreSQL server to test on, if any. With `BUQI_REQUIRE_POSTGRES=1` and none, the test
/// fails; with neither, it says it was not run.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("BUQI_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("BUQI_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "{test}: BUQI_REQUIRE_POSTGRES=1 but BUQI_TEST_POSTGRES is not set; run the tests under scripts/postgres-test.sh"
                );
            }
            eprintln!(
                "{test}: NOT RUN on PostgreSQL: BUQI_TEST_POSTGRES is not set (scripts/postgres-test.sh sets it)"
            );
            None
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, format!("?{query}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

async fn admin_client(admin: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL {admin}: {e}"));
    tokio::spawn(connection);
    client
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().expect("a temporary directory"))
    }

    /// A new, empty database on the test PostgreSQL server (`None`: not configured).
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let admin = postgres_admin_url(test)?;
        let name = format!("buqi_test_{}", Uuid::now_v7().simple());
        admin_client(&admin)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&admin, &name);
        Some(TestDb::Postgres { admin, name, url })
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite:{}", dir.path().join("buqi.db").display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.url())
            .await
            .unwrap_or_else(|e| panic!("cannot open the test database: {e}"))
    }

    /// Drops a PostgreSQL test database (a SQLite one goes with its directory).
    pub async fn finish(self) {
        if let TestDb::Postgres { admin, name, .. } = self {
            let _ = admin_client(&admin)
                .await
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

impl TestDb {
    /// Writes an assignment straight into the database, past the store's checks: one made
    /// before a user could be assigned only their own city's communities.
    pub async fn legacy_assign(&self, user: Uuid, community: Uuid) {
        match self {
            TestDb::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("buqi.db")).unwrap();
                conn.execute(
                    "INSERT INTO assignments (user_id, community, assigned_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![
                        user.to_string(),
                        community.to_string(),
                        "2024-01-01T00:00:00.000000Z"
                    ],
                )
                .unwrap();
            }
            TestDb::Postgres { url, .. } => {
                admin_client(url)
                    .await
                    .execute(
                        "INSERT INTO assignments (user_id, community, assigned_at) VALUES ($1, $2, now())",
                        &[&user, &community],
                    )
                    .await
                    .unwrap();
            }
        }
    }
}

pub const CITY: &str = "武汉";

/// A server's people, places and devices: 张三 and 李四 (surveyors) are assigned 百步亭;
/// 李四 also 水果湖; nobody 南湖. Devices A (张三) and B (李四) are enrolled.
pub struct World {
    pub store: Store,
    pub baibuting: Uuid,
    pub shuiguohu: Uuid,
    pub nanhu: Uuid,
    pub a: DeviceAuth,
    pub b: DeviceAuth,
    pub token_a: String,
    pub token_b: String,
}

/// A one-time code for `user`, valid for an hour.
pub async fn code_for(store: &Store, user: &str) -> String {
    let code = new_enroll_code().unwrap();
    let now = Utc::now();
    store
        .add_enroll_code(user, &code_hash(&code), now + Duration::hours(1), now)
        .await
        .unwrap();
    code
}

/// Enrolls a new device for `user` through the store; its auth and token.
pub async fn enroll(store: &Store, user: &str, name: &str) -> (DeviceAuth, String) {
    let code = code_for(store, user).await;
    let device = Uuid::now_v7();
    let token = new_token().unwrap();
    store
        .enroll(
            &code_hash(&code),
            device,
            name,
            &token_hash(&token),
            Utc::now(),
        )
        .await
        .unwrap();
    let auth = store
        .authenticate(&token_hash(&token))
        .await
        .unwrap()
        .unwrap();
    (auth, token)
}

pub async fn world(store: Store) -> World {
    let now = Utc::now();
    for name in ["张三", "李四"] {
        store
            .add_user(name, Role::Surveyor, CITY, None, now)
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for name in ["百步亭社区", "水果湖社区", "南湖社区"] {
        let community = Community {
            id: Uuid::now_v7(),
            name: name.into(),
            city: CITY.into(),
        };
        store.add_community(community.clone(), now).await.unwrap();
        ids.push(community.id);
    }
    store.assign("张三", "百步亭社区", now).await.unwrap();
    store
        .assign("李四", &ids[0].to_string(), now)
        .await
        .unwrap();
    store.assign("李四", "水果湖社区", now).await.unwrap();
    let (a, token_a) = enroll(&store, "张三", "张三的平板").await;
    let (b, token_b) = enroll(&store, "李四", "李四的平板").await;
    World {
        store,
        baibuting: ids[0],
        shuiguohu: ids[1],
        nanhu: ids[2],
        a,
        b,
        token_a,
        token_b,
    }
}

/// A clock reading `secs` seconds after 2025-01-01.
pub fn at(secs: u64) -> Hlc {
    Hlc((1_735_689_600 + secs) << 32)
}

/// The server clock reading for now.
pub fn now_hlc() -> Hlc {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Hlc(secs << 32)
}

pub fn change(
    community: Uuid,
    entity: Uuid,
    field: &str,
    value: Value,
    hlc: Hlc,
    device: Uuid,
    base: Option<Stamp>,
) -> Change {
    Change {
        community,
        kind: EntityKind::Facility,
        entity,
        field: field.into(),
        value,
        hlc,
        device,
        base,
    }
}

/// A small deterministic random number generator (xorshift64*), so a failing case can be run
/// again from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A seed from the clock, printed so that a failure can be replayed.
    pub fn from_time(test: &str) -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("{test}: seed {seed}");
        Rng::new(seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A server in this process on 127.0.0.1 (a free port), serving `store` until the test ends.
pub async fn start_server(store: Store, config: Config) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve::run(
        listener,
        AppState::new(store, config),
        std::future::pending(),
    ));
    addr
}

/// The JSON of a push.
pub fn push_body(batch: Uuid, changes: &[Change]) -> Value {
    serde_json::json!({ "batch": batch, "changes": changes })
}

/// Runs the `buqi` binary with these arguments (and `stdin`, if given).
pub fn buqi(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_buqi"))
        .args(args)
        .env_remove("BUQI_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the buqi binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs `buqi`, asserts it succeeded, returns its standard output.
pub fn buqi_ok(args: &[&str]) -> String {
    let out = buqi(args, None);
    assert!(
        out.status.success(),
        "buqi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Makes an enrollment code for `user` with `buqi device enroll`.
pub fn cli_code(database: &str, user: &str) -> String {
    let out = buqi_ok(&[
        "device",
        "enroll",
        "--user",
        user,
        "--no-qr",
        "--database",
        database,
    ]);
    out.lines()
        .find_map(|line| line.strip_prefix("code:"))
        .unwrap_or_else(|| panic!("no code in: {out}"))
        .trim()
        .to_owned()
}

/// A `buqi serve` process on 127.0.0.1 (a free port). Dropping it kills it.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    pub fn start(database: &str) -> ServerProcess {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_buqi"))
            .args(["serve", "--database", database, "--listen", "127.0.0.1:0"])
            .env_remove("BUQI_DATABASE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("buqi serve runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("buqi serve did not say where it listens: {line:?}")
            });
        ServerProcess { child, addr }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sets up a server's database with the command line: users 张三 and 李四 (surveyors), the
/// community 百步亭社区 (its id returned) assigned to both.
pub fn cli_world(database: &str) -> Uuid {
    for name in ["张三", "李四"] {
        buqi_ok(&[
            "user",
            "add",
            name,
            "--role",
            "surveyor",
            "--city",
            CITY,
            "--database",
            database,
        ]);
    }
    let community = Uuid::now_v7();
    buqi_ok(&[
        "community",
        "add",
        "--name",
        "百步亭社区",
        "--city",
        CITY,
        "--id",
        &community.to_string(),
        "--database",
        database,
    ]);
    for name in ["张三", "李四"] {
        buqi_ok(&["assign", name, "百步亭社区", "--database", database]);
    }
    community
}

/// Enrolls a new device over HTTP with `code`; its id and token.
pub async fn http_enroll(addr: SocketAddr, code: &str, name: &str) -> (Uuid, String) {
    let device = Uuid::now_v7();
    let r = http::Client::new(addr)
        .post(
            "/v1/enroll",
            &serde_json::json!({"code": code, "device": device, "name": name}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json());
    (device, r.json()["token"].as_str().unwrap().to_owned())
}
