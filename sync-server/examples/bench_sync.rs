//! Sync benchmarks, each printed next to its reference from the same run.
//!
//! (a) Changes merged per second through `POST /v1/changes` over HTTP on 127.0.0.1, from 100
//!     simulated devices (each enrolled for real with a one-time code, each with its own
//!     keep-alive connection), on SQLite and — when `BUQI_TEST_POSTGRES` is set — on PostgreSQL.
//!     Next to it, in the same run: the same workload pushed straight into `Store::push` (no HTTP,
//!     no JSON), the JSON codec alone, and the reference: raw rusqlite conditional upserts
//!     (`INSERT … ON CONFLICT DO UPDATE … WHERE excluded.stamp > stamp`) of the same number of
//!     field changes in one transaction. Then where the time goes: 1 device against 100, and
//!     batches of 100, 1000 and 5000 changes.
//! (b) One community synced the way the app does it: 500 changes made in the app's store on one
//!     tablet, `SyncClient::sync` to push them, and a second tablet's first sync to pull them.
//!
//! Run: `scripts/bench-sync.sh` (SQLite, then PostgreSQL on a throwaway server), or
//! `cargo run --release -p buqi-server --example bench_sync -- [--rounds N] [--changes N]
//! [--devices N] [--batch N] [--quick] [--no-breakdown]`.
//!
//! The workload: 10 communities; surveyor i's tablet is assigned two of them, shared with one
//! other tablet (its "pair"). Each batch is 99% new records (facilities, measurements, entrances,
//! 4 to 9 fields each, realistic values) and 1% edits of fields of one facility (another every 4
//! batches) that the pair's two tablets both edit in the same batches without seeing each other:
//! concurrent edits, which the server records as conflicts. Every change is new (no replays). Clock readings are NTP64
//! readings of now, one tick apart per change.
//!
//! Not a test: figures depend on the machine and on whatever else it is doing; the client and
//! the server share its cores.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use buqi_app::store::Store as Tablet;
use buqi_app::sync::{Progress, SyncClient};
use buqi_schema::change::{Change, Hlc};
use buqi_schema::record::{EntityKind, Fields};
use buqi_server::clock::{ServerClock, DEFAULT_MAX_AHEAD_SECS};
use buqi_server::photos::PhotoStore;
use buqi_server::protocol::{EnrollRequest, EnrollResponse, PushRequest, PushResponse, Role};
use buqi_server::secret::{code_hash, new_enroll_code, token_hash};
use buqi_server::serve::{self, AppState, Config, ROUTES};
use buqi_server::store::{Community, DeviceAuth, PushContext, Store, StoreError};
use chrono::Utc;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const TARGET_SQLITE: f64 = 200_000.0;
const TARGET_POSTGRES: f64 = 100_000.0;
const COMMUNITIES: usize = 10;
/// One community's photos: 50 display copies of about 500 KB.
const PHOTOS: usize = 50;
const PHOTO_BYTES: usize = 500_000;

/// Whether this server has the photo routes.
fn photos_routed() -> bool {
    ROUTES
        .iter()
        .any(|(m, p)| *m == "PATCH" && p.starts_with("/v1/photos/"))
}

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Debug, Clone)]
struct Options {
    rounds: usize,
    /// Changes pushed per measured round.
    changes: usize,
    devices: usize,
    batch: usize,
    breakdown: bool,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            rounds: 3,
            changes: 100_000,
            devices: 100,
            batch: 1000,
            breakdown: true,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> usize {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &usize| *v > 0)
                    .unwrap_or_else(|| usage(&format!("{name} takes a whole number above 0")))
            };
            match arg.as_str() {
                "--rounds" => o.rounds = number("--rounds"),
                "--changes" => o.changes = number("--changes"),
                "--devices" => o.devices = number("--devices"),
                "--batch" => o.batch = number("--batch").min(5000),
                "--quick" => {
                    o.rounds = 2;
                    o.changes = 20_000;
                }
                "--no-breakdown" => o.breakdown = false,
                "-h" | "--help" => usage(""),
                other => usage(&format!("unknown argument {other:?}")),
            }
        }
        o
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("bench_sync: {problem}");
    }
    eprintln!(
        "usage: bench_sync [--rounds N] [--changes N per round] [--devices N] [--batch N] \
         [--quick] [--no-breakdown]\n  PostgreSQL too when BUQI_TEST_POSTGRES=postgres://… is set \
         (scripts/postgres-test.sh sets it)"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 })
}

// ---------------------------------------------------------------------------------------------
// The server, in this process, on 127.0.0.1

#[derive(Clone)]
enum Backend {
    Sqlite,
    /// The URL of a PostgreSQL server's maintenance database: each run gets a database of its own.
    Postgres(String),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn target(&self) -> f64 {
        match self {
            Backend::Sqlite => TARGET_SQLITE,
            Backend::Postgres(_) => TARGET_POSTGRES,
        }
    }
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let query = tail.find('?').map(|i| &tail[i..]).unwrap_or("");
    format!("{scheme}://{authority}/{name}{query}")
}

/// A fresh, empty store.
async fn fresh_store(backend: &Backend, dir: &Path, databases: &mut Vec<String>) -> Store {
    let tag = Uuid::now_v7().simple().to_string();
    let url = match backend {
        Backend::Sqlite => format!("sqlite:{}", dir.join(format!("office-{tag}.db")).display()),
        Backend::Postgres(admin) => {
            let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
            tokio::spawn(conn);
            let name = format!("buqi_bench_{tag}");
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("CREATE DATABASE");
            databases.push(name.clone());
            with_database(admin, &name)
        }
    };
    Store::open(&url).await.expect("open the store")
}

async fn drop_databases(admin: &str, names: &[String]) {
    let Ok((client, conn)) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await else {
        return;
    };
    tokio::spawn(conn);
    for name in names {
        let _ = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}

struct Server {
    store: Store,
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(store: Store) -> Server {
        Server::start_with(store, None).await
    }

    /// With `photos`: the photo routes keep photos in that folder.
    async fn start_with(store: Store, photos: Option<&Path>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut state = AppState::new(store.clone(), Config::default());
        if let Some(dir) = photos {
            state = state.with_photos(PhotoStore::folder(dir).expect("photo folder"));
        }
        let task = tokio::spawn(serve::run(listener, state, async {
            let _ = stopped.await;
        }));
        Server {
            store,
            addr,
            stop,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }

    async fn community(&self, name: &str) -> Uuid {
        let id = Uuid::now_v7();
        self.store
            .add_community(
                Community {
                    id,
                    name: name.into(),
                    city: "武汉".into(),
                },
                Utc::now(),
            )
            .await
            .unwrap();
        id
    }

    /// A surveyor (made if new) assigned `communities`, and a one-time code for a tablet.
    async fn code_for(&self, user: &str, communities: &[Uuid]) -> String {
        let now = Utc::now();
        let _ = self
            .store
            .add_user(user, Role::Surveyor, "武汉", None, now)
            .await;
        for c in communities {
            self.store.assign(user, &c.to_string(), now).await.unwrap();
        }
        let code = new_enroll_code().unwrap();
        self.store
            .add_enroll_code(
                user,
                &code_hash(&code),
                now + chrono::Duration::hours(1),
                now,
            )
            .await
            .unwrap();
        code
    }
}

// ---------------------------------------------------------------------------------------------
// The workload

/// A clock reading of now: NTP64, upper 32 bits seconds since 1970.
fn ntp_now() -> u64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (d.as_secs() << 32) | ((u64::from(d.subsec_nanos()) << 32) / 1_000_000_000)
}

/// The facility fields a pair of tablets both edit, concurrently.
const SHARED_FIELDS: [&str; 8] = [
    "name",
    "building_area_m2",
    "land_area_m2",
    "usable_area_m2",
    "open_to_public",
    "inclusive",
    "notes",
    "position",
];

fn position(n: u64) -> Value {
    json!({
        "lon": 114.30 + (n % 997) as f64 * 1.3e-5,
        "lat": 30.55 + (n % 991) as f64 * 1.1e-5,
        "accuracy_m": 3.5 + (n % 7) as f64,
    })
}

fn shared_value(field: &str, n: u64) -> Value {
    match field {
        "name" => json!(format!("社区综合服务中心 {}", n % 97)),
        "building_area_m2" => json!(800.0 + (n % 400) as f64 * 0.5),
        "land_area_m2" => json!(1200.0 + (n % 300) as f64),
        "usable_area_m2" => json!(650.0 + (n % 200) as f64 * 0.25),
        "open_to_public" | "inclusive" => json!(n.is_multiple_of(2)),
        "notes" => json!(format!("二楼活动室已改造，电梯可达（第{}次复核）", n % 50)),
        _ => position(n),
    }
}

/// The fields of a new record of `kind`.
fn record_fields(kind: EntityKind, n: u64) -> Vec<(&'static str, Value)> {
    match kind {
        EntityKind::Facility => vec![
            (
                "kind",
                json!(
                    [
                        "supermarket",
                        "health_station",
                        "elderly_station",
                        "kindergarten"
                    ][(n % 4) as usize]
                ),
            ),
            ("name", json!(format!("中百超市 {n}号店"))),
            ("position", position(n)),
            ("building_area_m2", json!(120.5 + (n % 500) as f64)),
            ("land_area_m2", json!(300.0 + (n % 700) as f64)),
            ("usable_area_m2", json!(96.25 + (n % 300) as f64)),
            ("open_to_public", json!(!n.is_multiple_of(3))),
            ("inclusive", json!(n.is_multiple_of(5))),
            ("notes", json!("东门旁边，周末人多；无障碍坡道在北侧")),
        ],
        EntityKind::Measurement => vec![
            ("quantity", json!("building_area")),
            ("value", json!(88.4 + (n % 900) as f64 * 0.1)),
            ("method", json!("rectangles")),
            ("uncertainty", json!(1.5)),
            ("rectangles", json!([[12.5, 8.0], [3.25, 4.0]])),
            ("taken_at", json!("2026-11-26T10:15:00+08:00")),
        ],
        _ => vec![
            ("building", json!("residential")),
            (
                "label",
                json!(format!("{}号楼{}单元", n % 40 + 1, n % 4 + 1)),
            ),
            ("step_free", json!(n.is_multiple_of(2))),
            ("position", position(n)),
        ],
    }
}

/// Makes one simulated device's changes.
#[derive(Clone)]
struct Gen {
    device: Uuid,
    communities: [Uuid; 2],
    /// The facility this device and its pair both edit.
    shared: Uuid,
    clock: u64,
    batches: usize,
    records: u64,
}

impl Gen {
    fn new(device: Uuid, communities: [Uuid; 2], shared: Uuid) -> Gen {
        Gen {
            device,
            communities,
            shared,
            clock: ntp_now(),
            batches: 0,
            records: 0,
        }
    }

    fn change(
        &mut self,
        community: Uuid,
        kind: EntityKind,
        entity: Uuid,
        field: &str,
        value: Value,
    ) -> Change {
        self.clock += 1;
        Change {
            community,
            kind,
            entity,
            field: field.to_owned(),
            value,
            hlc: Hlc(self.clock),
            device: self.device,
            base: None,
        }
    }

    fn batch(&mut self, size: usize) -> Vec<Change> {
        let b = self.batches;
        self.batches += 1;
        let shared = (size / 100).clamp(1, size);
        let mut out = Vec::with_capacity(size);
        for k in 0..shared {
            let field = SHARED_FIELDS[(b * shared + k) % SHARED_FIELDS.len()];
            let value = shared_value(field, (b * shared + k) as u64 + self.clock % 13);
            // The pair moves on to another shared facility every 4 batches: a record is edited
            // by a few batches, not by every batch of the run.
            let entity = Uuid::from_u128(self.shared.as_u128() ^ (b / 4) as u128);
            let c = self.change(
                self.communities[0],
                EntityKind::Facility,
                entity,
                field,
                value,
            );
            out.push(c);
        }
        while out.len() < size {
            let n = self.records;
            self.records += 1;
            let kind = [
                EntityKind::Facility,
                EntityKind::Measurement,
                EntityKind::Entrance,
            ][(n % 3) as usize];
            let community = self.communities[(n % 2) as usize];
            let entity = Uuid::now_v7();
            for (field, value) in record_fields(kind, n) {
                if out.len() == size {
                    break;
                }
                let c = self.change(community, kind, entity, field, value);
                out.push(c);
            }
        }
        out
    }
}

/// The generators of `n` devices in pairs, as [`setup`] assigns them (without enrolling).
fn generators(n: usize, communities: &[Uuid], devices: Option<&[Uuid]>) -> Vec<Gen> {
    let shared: Vec<Uuid> = (0..n.div_ceil(2)).map(|_| Uuid::now_v7()).collect();
    (0..n)
        .map(|i| {
            let pair = i / 2;
            let cs = [
                communities[pair % communities.len()],
                communities[(pair + 1) % communities.len()],
            ];
            let device = devices.map_or_else(Uuid::now_v7, |d| d[i]);
            Gen::new(device, cs, shared[pair])
        })
        .collect()
}

struct Device {
    token: String,
    auth: DeviceAuth,
    gen: Gen,
}

/// `n` devices, each enrolled over HTTP with a one-time code for its own surveyor.
async fn setup(server: &Server, http: &reqwest::Client, n: usize) -> Vec<Device> {
    let tag = &Uuid::now_v7().simple().to_string()[20..];
    let mut communities = Vec::new();
    for c in 0..COMMUNITIES {
        communities.push(server.community(&format!("测试社区 {c}-{tag}")).await);
    }
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let gens = generators(n, &communities, Some(&ids));
    let mut devices = Vec::with_capacity(n);
    for (i, gen) in gens.into_iter().enumerate() {
        let user = format!("surveyor-{i}-{tag}");
        let code = server.code_for(&user, &gen.communities).await;
        let request = EnrollRequest {
            code,
            device: gen.device,
            name: format!("平板 {i}"),
        };
        let answer: EnrollResponse = http
            .post(format!("{}/v1/enroll", server.url()))
            .json(&request)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .expect("enrollment")
            .json()
            .await
            .unwrap();
        let auth = server
            .store
            .authenticate(&token_hash(&answer.token))
            .await
            .unwrap()
            .expect("the token just given");
        devices.push(Device {
            token: answer.token,
            auth,
            gen,
        });
    }
    devices
}

// ---------------------------------------------------------------------------------------------
// Measuring

#[derive(Debug, Clone, Copy)]
struct Sample {
    changes: usize,
    secs: f64,
    /// Median time of one push, seconds.
    push_median: f64,
    /// Pushes answered 503 (the database did not answer in time) and sent again, as the
    /// protocol says to.
    retried: usize,
}

impl Sample {
    fn rate(&self) -> f64 {
        self.changes as f64 / self.secs
    }
}

fn median_f(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The sample of median rate.
fn median(samples: &[Sample]) -> Sample {
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    s[s.len() / 2]
}

/// How a round is shaped: `active` devices push `per_device` batches of `batch` each.
#[derive(Debug, Clone, Copy)]
struct Shape {
    active: usize,
    batch: usize,
    per_device: usize,
}

impl Shape {
    fn of(devices: usize, batch: usize, changes: usize) -> Shape {
        let active = devices.min((changes / batch).max(1));
        let per_device = (changes / (active * batch)).max(1);
        Shape {
            active,
            batch,
            per_device,
        }
    }

    fn changes(&self) -> usize {
        self.active * self.batch * self.per_device
    }
}

/// One round over HTTP: the bodies are made first (each tablet would make its own), then every
/// device pushes its batches one after the other, all devices at once.
async fn http_round(
    http: &reqwest::Client,
    url: &str,
    devices: &mut [Device],
    shape: Shape,
) -> Sample {
    let work: Vec<(String, Vec<Vec<u8>>)> = devices[..shape.active]
        .iter_mut()
        .map(|d| {
            let bodies = (0..shape.per_device)
                .map(|_| {
                    serde_json::to_vec(&PushRequest {
                        batch: Uuid::now_v7(),
                        changes: d.gen.batch(shape.batch),
                    })
                    .unwrap()
                })
                .collect();
            (d.token.clone(), bodies)
        })
        .collect();
    let url = format!("{url}/v1/changes");
    let start = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|(token, bodies)| {
            let http = http.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let (mut accepted, mut retried) = (0, 0);
                let mut times = Vec::new();
                for body in bodies {
                    let t = Instant::now();
                    let answer: PushResponse = loop {
                        let response = http
                            .post(&url)
                            .bearer_auth(&token)
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .expect("push");
                        let status = response.status();
                        if status == reqwest::StatusCode::SERVICE_UNAVAILABLE && retried < 10_000 {
                            // "May or may not have been applied: send the same batch again."
                            retried += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                        if !status.is_success() {
                            panic!(
                                "push answered {status}: {}",
                                response.text().await.unwrap_or_default()
                            );
                        }
                        break response.json().await.expect("push answer");
                    };
                    times.push(t.elapsed().as_secs_f64());
                    accepted += answer.accepted + answer.duplicates;
                }
                (accepted, times, retried)
            })
        })
        .collect();
    let (mut accepted, mut retried) = (0, 0);
    let mut times = Vec::new();
    for t in tasks {
        let (a, ts, r) = t.await.unwrap();
        accepted += a;
        retried += r;
        times.extend(ts);
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(
        accepted,
        shape.changes(),
        "every change is new and must be taken (accepted, or a duplicate of a retried push)"
    );
    Sample {
        changes: accepted,
        secs,
        push_median: median_f(times),
        retried,
    }
}

/// One round straight into `Store::push`: the same work without HTTP and JSON.
async fn store_round(
    store: &Store,
    clock: &Arc<ServerClock>,
    devices: &mut [Device],
    shape: Shape,
) -> Sample {
    let work: Vec<(DeviceAuth, Vec<Vec<Change>>)> = devices[..shape.active]
        .iter_mut()
        .map(|d| {
            let batches = (0..shape.per_device)
                .map(|_| d.gen.batch(shape.batch))
                .collect();
            (d.auth.clone(), batches)
        })
        .collect();
    let start = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|(auth, batches)| {
            let store = store.clone();
            let clock = clock.clone();
            tokio::spawn(async move {
                let mut accepted = 0;
                let mut times = Vec::new();
                let mut retried = 0;
                for changes in batches {
                    let t = Instant::now();
                    loop {
                        let cx = PushContext {
                            auth: &auth,
                            batch: Uuid::now_v7(),
                            now: clock.now(),
                            max_ahead_secs: DEFAULT_MAX_AHEAD_SECS,
                            at: Utc::now(),
                        };
                        match store.push(&cx, changes.clone()).await {
                            Ok(o) => {
                                accepted += o.accepted + o.duplicates;
                                break;
                            }
                            Err(StoreError::Unavailable(_)) if retried < 10_000 => {
                                retried += 1;
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                            Err(e) => panic!("push: {e}"),
                        }
                    }
                    times.push(t.elapsed().as_secs_f64());
                }
                (accepted, times, retried)
            })
        })
        .collect();
    let (mut accepted, mut retried) = (0, 0);
    let mut times = Vec::new();
    for t in tasks {
        let (a, ts, r) = t.await.unwrap();
        accepted += a;
        retried += r;
        times.extend(ts);
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(accepted, shape.changes());
    Sample {
        changes: accepted,
        secs,
        push_median: median_f(times),
        retried,
    }
}

/// JSON alone, on one core: (encode, decode) changes per second of one round's batches.
fn codec(shape: Shape, communities: &[Uuid]) -> (f64, f64) {
    let mut gens = generators(shape.active, communities, None);
    let requests: Vec<PushRequest> = gens
        .iter_mut()
        .flat_map(|g| {
            (0..shape.per_device)
                .map(|_| PushRequest {
                    batch: Uuid::now_v7(),
                    changes: g.batch(shape.batch),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let n = shape.changes() as f64;
    let t = Instant::now();
    let bodies: Vec<Vec<u8>> = requests
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect();
    let encode = n / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut count = 0;
    for b in &bodies {
        count += serde_json::from_slice::<PushRequest>(b)
            .unwrap()
            .changes
            .len();
    }
    let decode = n / t.elapsed().as_secs_f64();
    assert_eq!(count, shape.changes());
    (encode, decode)
}

/// The average size of one change in a push body, bytes.
fn bytes_per_change(communities: &[Uuid]) -> f64 {
    let mut g = generators(2, communities, None);
    let body = serde_json::to_vec(&PushRequest {
        batch: Uuid::now_v7(),
        changes: g[0].batch(1000),
    })
    .unwrap();
    body.len() as f64 / 1000.0
}

/// The reference: raw rusqlite conditional upserts of the same number of field changes, one
/// transaction, in a file with the server's settings (WAL, synchronous = FULL). Text made first.
struct Reference {
    conn: rusqlite::Connection,
}

impl Reference {
    fn open(dir: &Path) -> Reference {
        let conn = rusqlite::Connection::open(
            dir.join(format!("reference-{}.db", Uuid::now_v7().simple())),
        )
        .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             CREATE TABLE field_values (
                 entity    TEXT NOT NULL,
                 field     TEXT NOT NULL,
                 community TEXT NOT NULL,
                 kind      TEXT NOT NULL,
                 value     TEXT NOT NULL,
                 stamp     TEXT NOT NULL,
                 PRIMARY KEY (entity, field)
             ) STRICT;",
        )
        .unwrap();
        Reference { conn }
    }

    /// `cached`: one prepared statement for every row (the reference); otherwise each row's
    /// statement is prepared again, as `Transaction::execute` does.
    fn round(&mut self, shape: Shape, communities: &[Uuid], cached: bool) -> Sample {
        let mut gens = generators(shape.active, communities, None);
        let rows: Vec<[String; 6]> = gens
            .iter_mut()
            .flat_map(|g| {
                (0..shape.per_device)
                    .flat_map(|_| g.batch(shape.batch))
                    .collect::<Vec<_>>()
            })
            .map(|c| {
                [
                    c.entity.to_string(),
                    c.field,
                    c.community.to_string(),
                    c.kind.id().to_owned(),
                    c.value.to_string(),
                    format!("{}{}", c.hlc, c.device),
                ]
            })
            .collect();
        let start = Instant::now();
        let tx = self.conn.transaction().unwrap();
        const UPSERT: &str =
            "INSERT INTO field_values (entity, field, community, kind, value, stamp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (entity, field) DO UPDATE
             SET value = excluded.value, stamp = excluded.stamp
             WHERE excluded.stamp > field_values.stamp";
        if cached {
            let mut insert = tx.prepare_cached(UPSERT).unwrap();
            for r in &rows {
                insert
                    .execute(rusqlite::params![r[0], r[1], r[2], r[3], r[4], r[5]])
                    .unwrap();
            }
        } else {
            for r in &rows {
                tx.execute(
                    UPSERT,
                    rusqlite::params![r[0], r[1], r[2], r[3], r[4], r[5]],
                )
                .unwrap();
            }
        }
        tx.commit().unwrap();
        Sample {
            changes: rows.len(),
            secs: start.elapsed().as_secs_f64(),
            push_median: f64::NAN,
            retried: 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing

fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn ms(secs: f64) -> String {
    if secs.is_finite() {
        format!("{:.1} ms", secs * 1000.0)
    } else {
        "—".into()
    }
}

struct Row {
    backend: &'static str,
    what: String,
    sample: Sample,
}

// ---------------------------------------------------------------------------------------------
// (a)

struct Merged {
    rows: Vec<Row>,
    reference: f64,
}

/// Rounds of `shape` over HTTP (after one warm-up round), median.
async fn http_rounds(
    http: &reqwest::Client,
    server: &Server,
    devices: &mut [Device],
    shape: Shape,
    rounds: usize,
) -> Vec<Sample> {
    http_round(http, &server.url(), devices, shape).await;
    let mut samples = Vec::new();
    for _ in 0..rounds {
        samples.push(http_round(http, &server.url(), devices, shape).await);
    }
    samples
}

fn show_samples(label: &str, samples: &[Sample]) {
    let rates: Vec<String> = samples.iter().map(|s| thousands(s.rate())).collect();
    let retried: usize = samples.iter().map(|s| s.retried).sum();
    eprintln!(
        "  {label}: rounds {} changes/s{}",
        rates.join(" / "),
        if retried > 0 {
            format!(" ({retried} pushes answered 503 and sent again)")
        } else {
            String::new()
        }
    );
}

async fn merged(
    backend: &Backend,
    o: &Options,
    dir: &Path,
    http: &reqwest::Client,
    databases: &mut Vec<String>,
) -> Merged {
    let main = Shape::of(o.devices, o.batch, o.changes);
    let store = fresh_store(backend, dir, databases).await;
    let server = Server::start(store.clone()).await;
    let t = Instant::now();
    let mut devices = setup(&server, http, o.devices).await;
    eprintln!(
        "[{}] {} devices enrolled over HTTP in {:.1} s",
        backend.name(),
        devices.len(),
        t.elapsed().as_secs_f64()
    );
    let communities: Vec<Uuid> = {
        let mut c: Vec<Uuid> = devices.iter().flat_map(|d| d.gen.communities).collect();
        c.sort();
        c.dedup();
        c
    };

    let mut rows = Vec::new();
    let samples = http_rounds(http, &server, &mut devices, main, o.rounds).await;
    show_samples("HTTP", &samples);
    rows.push(Row {
        backend: backend.name(),
        what: format!(
            "HTTP end to end: {} devices × {} × {} changes",
            main.active, main.per_device, main.batch
        ),
        sample: median(&samples),
    });

    let clock = Arc::new(ServerClock::new());
    let mut samples = Vec::new();
    for _ in 0..o.rounds {
        samples.push(store_round(&server.store, &clock, &mut devices, main).await);
    }
    show_samples("Store::push", &samples);
    rows.push(Row {
        backend: backend.name(),
        what: "Store::push directly (no HTTP, no JSON), same work".into(),
        sample: median(&samples),
    });

    // The reference, same run, same number of changes per round.
    let mut reference = Reference::open(dir);
    let mut samples = Vec::new();
    for _ in 0..o.rounds {
        samples.push(reference.round(main, &communities, true));
    }
    show_samples("raw upsert", &samples);
    let reference_rate = median(&samples).rate();
    rows.push(Row {
        backend: "sqlite",
        what: "reference: raw rusqlite conditional upsert, 1 transaction".into(),
        sample: median(&samples),
    });
    let mut samples = Vec::new();
    for _ in 0..o.rounds {
        samples.push(reference.round(main, &communities, false));
    }
    show_samples("raw upsert, statement prepared per row", &samples);
    rows.push(Row {
        backend: "sqlite",
        what: "raw upsert as above, but the statement prepared again for each row".into(),
        sample: median(&samples),
    });

    server.stop().await;

    if o.breakdown {
        // Where the time goes: fewer devices, other batch sizes; each on a fresh database.
        let shapes = [
            ("HTTP, 1 device", Shape::of(1, o.batch, o.changes)),
            ("HTTP, batches of 100", Shape::of(o.devices, 100, o.changes)),
            (
                "HTTP, batches of 5000",
                Shape::of(o.devices, 5000, o.changes),
            ),
        ];
        for (label, shape) in shapes {
            let store = fresh_store(backend, dir, databases).await;
            let server = Server::start(store).await;
            let mut devices = setup(&server, http, shape.active).await;
            let samples = http_rounds(http, &server, &mut devices, shape, o.rounds).await;
            show_samples(label, &samples);
            rows.push(Row {
                backend: backend.name(),
                what: format!(
                    "{label}: {} device{} × {} × {} changes",
                    shape.active,
                    if shape.active == 1 { "" } else { "s" },
                    shape.per_device,
                    shape.batch
                ),
                sample: median(&samples),
            });
            server.stop().await;
        }
    }
    Merged {
        rows,
        reference: reference_rate,
    }
}

// ---------------------------------------------------------------------------------------------
// (b)

#[derive(Debug, Clone, Copy)]
struct CommunitySync {
    changes: usize,
    push: f64,
    sync_a: f64,
    pushed: usize,
    pull: f64,
    pulled: usize,
    /// Seconds to upload / download the photos, when the server has photo routes.
    photos: Option<(f64, f64)>,
}

/// The photo chunk the app sends.
const PHOTO_CHUNK: usize = 256 * 1024;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` display copies of about `size` bytes each, incompressible like JPEG data: (address,
/// bytes).
fn photo_copies(n: usize, size: usize) -> Vec<(String, Vec<u8>)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ ntp_now();
    (0..n)
        .map(|i| {
            let len = size - size / 10 + (i * 7919) % (size / 5);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let address = hex(&Sha256::digest(
                format!("camera original {i} {state}").as_bytes(),
            ));
            (address, bytes)
        })
        .collect()
}

/// Tablet A uploads every copy as the app does (HEAD, then PATCH in 256 KiB chunks from the
/// server's offset), one after the other; then tablet B downloads each (GET). Seconds each.
async fn photo_round(
    http: &reqwest::Client,
    url: &str,
    token_a: &str,
    token_b: &str,
    copies: &[(String, Vec<u8>)],
) -> (f64, f64) {
    let start = Instant::now();
    for (address, bytes) in copies {
        let route = format!("{url}/v1/photos/{address}/display");
        let head = http
            .head(&route)
            .bearer_auth(token_a)
            .send()
            .await
            .expect("HEAD");
        if head.status().is_success() {
            continue;
        }
        let mut offset: usize = head
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let digest = hex(&Sha256::digest(bytes));
        while offset < bytes.len() {
            let end = (offset + PHOTO_CHUNK).min(bytes.len());
            let answer = http
                .patch(&route)
                .bearer_auth(token_a)
                .header("Upload-Offset", offset.to_string())
                .header("Upload-Length", bytes.len().to_string())
                .header("Upload-Digest", &digest)
                .body(bytes[offset..end].to_vec())
                .send()
                .await
                .expect("PATCH");
            let status = answer.status();
            if !status.is_success() {
                panic!(
                    "PATCH answered {status}: {}",
                    answer.text().await.unwrap_or_default()
                );
            }
            offset = end;
        }
    }
    let upload = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for (address, bytes) in copies {
        let answer = http
            .get(format!("{url}/v1/photos/{address}/display"))
            .bearer_auth(token_b)
            .send()
            .await
            .expect("GET");
        assert!(
            answer.status().is_success(),
            "GET answered {}",
            answer.status()
        );
        let body = answer.bytes().await.expect("photo bytes");
        assert_eq!(body.len(), bytes.len());
    }
    (upload, start.elapsed().as_secs_f64())
}

fn fields(value: Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

async fn community_sync(
    backend: &Backend,
    dir: &Path,
    databases: &mut Vec<String>,
    rounds: usize,
) -> Vec<CommunitySync> {
    let store = fresh_store(backend, dir, databases).await;
    let photo_dir = dir.join(format!("photos-{}", Uuid::now_v7().simple()));
    let server = Server::start_with(store, photos_routed().then_some(photo_dir.as_path())).await;
    let client = SyncClient::new(&server.url()).unwrap();
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for r in 0..rounds {
        let tag = Uuid::now_v7().simple().to_string();
        let id = server.community(&format!("百步亭社区 {r}")).await;
        let mut a = Tablet::open(dir.join(format!("tablet-a-{tag}.db"))).unwrap();
        let mut b = Tablet::open(dir.join(format!("tablet-b-{tag}.db"))).unwrap();
        let code = server.code_for(&format!("张三-{tag}"), &[id]).await;
        client.enroll(&mut a, &code, "张三的平板").await.unwrap();
        client.sync(&mut a, &mut |_| {}).await.unwrap();

        // A day's survey of the community, offline: 500 changes.
        let pushed_seq = a.sync_state().unwrap().unwrap().pushed_seq;
        let mut n = 0u64;
        while a.unpushed(pushed_seq).unwrap() < 500 {
            let left = 500 - a.unpushed(pushed_seq).unwrap();
            if left >= 9 {
                let f: Vec<(&str, Value)> = record_fields(EntityKind::Facility, n);
                let value = Value::Object(f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
                a.create(id, EntityKind::Facility, fields(value)).unwrap();
            } else {
                a.set(
                    EntityKind::Community,
                    id,
                    &format!("items.{}.notes", n % 20 + 1),
                    json!(format!("已复核 {n}")),
                )
                .unwrap();
            }
            n += 1;
        }
        let changes = a.unpushed(pushed_seq).unwrap();

        let start = Instant::now();
        let mut pushed_at = None;
        let report = client
            .sync(&mut a, &mut |p| {
                if let Progress::Pushing { done, total } = p {
                    if done == total {
                        pushed_at = Some(start.elapsed().as_secs_f64());
                    }
                }
            })
            .await
            .unwrap();
        let sync_a = start.elapsed().as_secs_f64();

        let code = server.code_for(&format!("李四-{tag}"), &[id]).await;
        client.enroll(&mut b, &code, "李四的平板").await.unwrap();
        let start = Instant::now();
        let pulled = client.sync(&mut b, &mut |_| {}).await.unwrap();
        let pull = start.elapsed().as_secs_f64();
        assert_eq!(
            b.survey(id).unwrap(),
            a.survey(id).unwrap(),
            "the second tablet has it all"
        );
        let photos = if photos_routed() {
            let token = |t: &Tablet| t.sync_state().unwrap().unwrap().token;
            let copies = photo_copies(PHOTOS, PHOTO_BYTES);
            // A device downloads only photos its communities have records of.
            let records: Vec<Change> = copies
                .iter()
                .enumerate()
                .map(|(i, (address, _))| Change {
                    community: id,
                    kind: EntityKind::Photo,
                    entity: Uuid::now_v7(),
                    field: "sha256".into(),
                    value: json!(address),
                    hlc: Hlc(ntp_now() + i as u64),
                    device: a.device(),
                    base: None,
                })
                .collect();
            let answer = http
                .post(format!("{}/v1/changes", server.url()))
                .bearer_auth(token(&a))
                .json(&PushRequest {
                    batch: Uuid::now_v7(),
                    changes: records,
                })
                .send()
                .await
                .expect("push of the photo records");
            assert!(answer.status().is_success(), "{}", answer.status());
            Some(photo_round(&http, &server.url(), &token(&a), &token(&b), &copies).await)
        } else {
            None
        };
        out.push(CommunitySync {
            changes,
            push: pushed_at.unwrap_or(f64::NAN),
            sync_a,
            pushed: report.pushed,
            pull,
            pulled: pulled.pulled,
            photos,
        });
    }
    server.stop().await;
    out
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    let o = Options::parse();
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("BUQI_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => backends.push(Backend::Postgres(url)),
        _ => eprintln!("bench_sync: BUQI_TEST_POSTGRES is not set: SQLite only (scripts/bench-sync.sh runs both)"),
    }
    let dir = tempfile::tempdir().unwrap();
    // Installs rustls' cryptography for the process, as the app does (plain HTTP needs none, but
    // the client builder wants it chosen).
    let _ = SyncClient::new("http://127.0.0.1:1").unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# buqi sync benchmark");
    println!();
    println!(
        "{} UTC · {cores} cores · buqi-server {} · release build: {} · clients and server share the cores",
        Utc::now().format("%Y-%m-%d %H:%M"),
        env!("CARGO_PKG_VERSION"),
        !cfg!(debug_assertions),
    );
    let main = Shape::of(o.devices, o.batch, o.changes);
    println!(
        "median of {} rounds (after 1 warm-up round) of {} changes; ~{:.0} bytes of JSON per change",
        o.rounds,
        main.changes(),
        bytes_per_change(&[Uuid::now_v7(), Uuid::now_v7()])
    );

    let mut databases = Vec::new();
    let mut results = Vec::new();
    for backend in &backends {
        let m = merged(backend, &o, dir.path(), &http, &mut databases).await;
        results.push((backend.clone(), m));
    }
    let (encode, decode) = codec(main, &[Uuid::now_v7(), Uuid::now_v7()]);

    println!();
    println!("## (a) changes merged per second");
    println!();
    println!("| backend | path | changes/s (median) | × raw upsert | target | meets target | median push | 503s retried |");
    println!("|---|---|---:|---:|---:|---|---:|---:|");
    for (backend, m) in &results {
        for r in &m.rows {
            let rate = r.sample.rate();
            let is_reference = r.what.starts_with("reference");
            let is_http = r.what.starts_with("HTTP end");
            let target = if is_http {
                thousands(backend.target())
            } else {
                "".into()
            };
            let meets = if is_http {
                if rate >= backend.target() {
                    "yes".to_owned()
                } else {
                    format!("no ({:.2}× target)", rate / backend.target())
                }
            } else {
                String::new()
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.backend,
                r.what,
                thousands(rate),
                if is_reference {
                    "1".into()
                } else {
                    format!("{:.3}", rate / m.reference)
                },
                target,
                meets,
                ms(r.sample.push_median),
                r.sample.retried,
            );
        }
    }
    println!(
        "| — | JSON alone, 1 core: encode (client) / decode (server) | {} / {} | | | | | |",
        thousands(encode),
        thousands(decode)
    );

    println!();
    println!("## (b) one community synced (the app's store and SyncClient over HTTP on 127.0.0.1)");
    println!();
    println!(
        "| backend | changes | A: push | A: whole sync (push + pull back) | B: first sync (pull all) | pulled | {PHOTOS} photos ≈{} KB: A uploads | B downloads | whole community, A → server → B |",
        PHOTO_BYTES / 1000
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for backend in &backends {
        let runs = community_sync(backend, dir.path(), &mut databases, 3).await;
        let med = |f: &dyn Fn(&CommunitySync) -> f64| median_f(runs.iter().map(f).collect());
        let r = runs[runs.len() / 2];
        let up = med(&|r| r.photos.map_or(f64::NAN, |p| p.0));
        let down = med(&|r| r.photos.map_or(f64::NAN, |p| p.1));
        let whole = med(&|r| r.sync_a + r.pull + r.photos.map_or(0.0, |p| p.0 + p.1));
        println!(
            "| {} | {} (pushed {}) | {} | {} | {} | {} | {} | {} | {} |",
            backend.name(),
            r.changes,
            r.pushed,
            ms(med(&|r| r.push)),
            ms(med(&|r| r.sync_a)),
            ms(med(&|r| r.pull)),
            r.pulled,
            ms(up),
            ms(down),
            ms(whole),
        );
    }
    println!("(medians of 3 communities, each on new tablets)");
    if photos_routed() {
        println!(
            "photos: sent at the protocol level as the app sends them (HEAD, then PATCH in {} KiB \
             chunks, each fsynced by the server; GET to download), one after the other, into a \
             photo folder; incompressible bytes of JPEG size, not the app's photo pipeline",
            PHOTO_CHUNK / 1024
        );
    } else {
        println!("photos: not yet measured (no photo routes yet)");
    }

    for backend in &backends {
        if let Backend::Postgres(admin) = backend {
            drop_databases(admin, &databases).await;
        }
    }
}
