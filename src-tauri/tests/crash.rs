//! Crash safety, proven: a writer process is killed with SIGKILL at random moments, over and over,
//! on one survey database; after every kill, every edit the store had acknowledged must be there,
//! no batch may be half-applied, and SQLite's integrity check must pass.
//!
//! The writer is this same test binary started again with `BUQI_CRASH_DB` set: it opens the store,
//! starts a community of its own and edits it as fast as it can, printing one line per edit after
//! the store has acknowledged it (the method returned `Ok`). Whatever was printed must survive.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::store::Store;
use serde_json::{json, Value};
use uuid::Uuid;

/// At least this many kills must land on a running writer.
const KILLS: usize = 200;

/// A small, seedable generator: the test prints its seed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn killed_writers_lose_no_acknowledged_edit() {
    if let Ok(db) = std::env::var("BUQI_CRASH_DB") {
        let seed = std::env::var("BUQI_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        writer(Path::new(&db), seed);
    }

    let seed = std::env::var("BUQI_CRASH_REPLAY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("crash test seed {seed} (replay with BUQI_CRASH_REPLAY={seed})");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("survey.db");
    let exe = std::env::current_exe().unwrap();

    // Everything ever acknowledged: (kind, entity, field) → the value's counter.
    let mut acked: BTreeMap<(EntityKind, Uuid, String), u64> = BTreeMap::new();
    let mut created: Vec<(Uuid, Fields)> = Vec::new();
    let mut kills = 0;
    let mut runs = 0;
    let started = Instant::now();
    while kills < KILLS {
        runs += 1;
        assert!(
            runs < KILLS * 2,
            "too many writers ended before they were killed"
        );
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "killed_writers_lose_no_acknowledged_edit",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("BUQI_CRASH_DB", &db)
            .env("BUQI_CRASH_SEED", rng.next().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).split(b'\n') {
                match line {
                    Ok(line) => lines.push(String::from_utf8_lossy(&line).into_owned()),
                    Err(_) => break,
                }
            }
            lines
        });
        // From the first moments (opening, migrating) to well into the edits.
        std::thread::sleep(Duration::from_micros(rng.below(120_000)));
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let lines = reader.join().unwrap();
        if running {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "the writer was not killed: {status}"
            );
            kills += 1;
        } else {
            panic!("the writer ended by itself ({status}); its output: {lines:?}");
        }

        // A line cut short by the kill has no trailing "." and was never acknowledged.
        for line in lines.iter().filter(|l| l.ends_with(" .")) {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts[..] {
                ["set", kind, id, field, n, "."] => {
                    let key = (
                        EntityKind::from_id(kind).unwrap(),
                        Uuid::parse_str(id).unwrap(),
                        field.to_owned(),
                    );
                    acked.insert(key, n.parse().unwrap());
                }
                ["create", id, fields, "."] => {
                    created.push((
                        Uuid::parse_str(id).unwrap(),
                        serde_json::from_str(fields).unwrap(),
                    ));
                }
                _ if line.starts_with("test ") || line.starts_with("running ") => {}
                _ => panic!("unexpected line from the writer: {line:?}"),
            }
        }

        let store = Store::open(&db).unwrap_or_else(|e| panic!("after kill {kills}: {e}"));
        assert_eq!(
            store.integrity_check().unwrap(),
            vec!["ok".to_owned()],
            "after kill {kills}"
        );
        verify(&store, &acked, &created, kills);
    }
    println!(
        "{kills} writers killed in {runs} runs, {} field edits and {} records acknowledged, {:.1} s",
        acked.len(),
        created.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        !acked.is_empty() && !created.is_empty(),
        "the writers never got an edit acknowledged: the test proved nothing"
    );
}

/// Every acknowledged edit is there (or a later one of the same field: the store may have
/// committed an edit whose line the kill cut off), every record has all the fields it was born
/// with, and every acknowledged edit is in the change log.
fn verify(
    store: &Store,
    acked: &BTreeMap<(EntityKind, Uuid, String), u64>,
    created: &[(Uuid, Fields)],
    kills: usize,
) {
    for ((kind, id, field), n) in acked {
        let fields = store
            .record(*kind, *id)
            .unwrap_or_else(|e| panic!("after kill {kills}: {kind} {id}: {e}"));
        let got = fields.get(field).and_then(counter);
        assert!(
            got.is_some_and(|got| got >= *n),
            "after kill {kills}: {kind} {id} {field} is {got:?}, but edit {n} was acknowledged"
        );
    }
    for (id, born) in created {
        let fields = store
            .record(EntityKind::Facility, *id)
            .unwrap_or_else(|e| panic!("after kill {kills}: facility {id}: {e}"));
        for key in born.keys() {
            assert!(
                fields.contains_key(key),
                "after kill {kills}: facility {id} lost its field {key}"
            );
        }
    }
    let log = store.changes_after(0, usize::MAX).unwrap();
    let logged: std::collections::HashSet<(Uuid, &str)> = log
        .iter()
        .map(|c| (c.change.entity, c.change.field.as_str()))
        .collect();
    for (_, id, field) in acked.keys() {
        assert!(
            logged.contains(&(*id, field.as_str())),
            "after kill {kills}: the edit of {id} {field} is not in the change log"
        );
    }
    // No half-applied batch, no edit without its change or change without its edit: replaying
    // the log gives exactly the records (checked every tenth kill; it grows with the log).
    if kills.is_multiple_of(10) {
        let mut replayed: BTreeMap<(EntityKind, Uuid), Fields> = BTreeMap::new();
        for c in &log {
            let fields = replayed
                .entry((c.change.kind, c.change.entity))
                .or_default();
            if c.change.field != buqi_app::schema::change::DELETED {
                if c.change.value.is_null() {
                    fields.remove(&c.change.field);
                } else {
                    fields.insert(c.change.field.clone(), c.change.value.clone());
                }
            }
        }
        for ((kind, id), fields) in &replayed {
            let stored = store.record(*kind, *id).unwrap();
            assert_eq!(
                &stored, fields,
                "after kill {kills}: {kind} {id} differs from its log"
            );
        }
        assert!(created
            .iter()
            .all(|(id, _)| replayed.contains_key(&(EntityKind::Facility, *id))));
    }
}

/// The number an edit wrote: `n123` or 123.
fn counter(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_f64().map(|f| f as u64),
        Value::String(s) => s.strip_prefix('n')?.parse().ok(),
        _ => None,
    }
}

/// The writer process: edits as fast as it can until it is killed.
fn writer(db: &Path, seed: u64) -> ! {
    let mut rng = Rng(seed | 1);
    let mut store = Store::open(db).unwrap();
    let mut out = std::io::stdout().lock();
    // The test harness has printed "test … " without a newline; end that line first.
    writeln!(out).unwrap();
    let community = store
        .create_community(
            serde_json::from_value(json!({"name": format!("写入进程 {seed}"), "kind": "existing"}))
                .unwrap(),
        )
        .unwrap();
    let mut facilities: Vec<Uuid> = Vec::new();
    // Counters rise across runs (the clock does), so a later edit always has a larger number.
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    loop {
        n += 1;
        let op = rng.below(10);
        if facilities.is_empty() || op < 4 {
            let kinds = ["kindergarten", "nursery", "supermarket", "elderly_station"];
            let born: Fields = serde_json::from_value(json!({
                "kind": kinds[rng.below(kinds.len() as u64) as usize],
                "name": format!("设施{n}"),
                "notes": format!("n{n}"),
            }))
            .unwrap();
            let id = store
                .create(community, EntityKind::Facility, born.clone())
                .unwrap();
            facilities.push(id);
            writeln!(
                out,
                "create {id} {} .",
                serde_json::to_string(&born).unwrap()
            )
            .unwrap();
        } else if op < 8 {
            let id = facilities[rng.below(facilities.len() as u64) as usize];
            store
                .set(EntityKind::Facility, id, "notes", json!(format!("n{n}")))
                .unwrap();
            writeln!(out, "set facility {id} notes {n} .").unwrap();
        } else if op < 9 {
            let item = 1 + rng.below(20);
            let field = format!("items.{item}.notes");
            store
                .set(
                    EntityKind::Community,
                    community,
                    &field,
                    json!(format!("n{n}")),
                )
                .unwrap();
            writeln!(out, "set community {community} {field} {n} .").unwrap();
        } else {
            let id = facilities[rng.below(facilities.len() as u64) as usize];
            let both: Fields = serde_json::from_value(json!({
                "building_area_m2": n as f64,
                "notes": format!("n{n}"),
            }))
            .unwrap();
            store.update(EntityKind::Facility, id, both).unwrap();
            writeln!(out, "set facility {id} building_area_m2 {n} .").unwrap();
            writeln!(out, "set facility {id} notes {n} .").unwrap();
        }
        out.flush().unwrap();
    }
}
