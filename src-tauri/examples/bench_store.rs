//! Benchmark of the offline store: how many acknowledged edits per second, and the latency of one
//! acknowledged edit (median, p90, p99), next to a reference run in the same process: a bare
//! rusqlite commit of one row with the same durability settings (WAL, synchronous = FULL), which
//! is the floor any durable edit pays.
//!
//! Run: `cargo run --release -p buqi-app --example bench_store [edits] [gps points]` (default
//! 3,000 edits on a survey the size of a real one: ~80 facilities, ~500 fields; add e.g. 900 GPS
//! points for a survey that holds a second-by-second boundary walk).

use std::time::{Duration, Instant};

use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::store::Store;
use rusqlite::Connection;
use serde_json::json;

fn main() {
    let edits: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3_000);
    let dir = tempfile::tempdir().expect("a temporary directory");

    // A survey as big as a finished one: the Wuhan example plus 60 facilities with a few fields.
    let mut store = Store::open(dir.path().join("survey.db")).expect("open the store");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/wuhan-old-estate.json"
    ))
    .expect("the Wuhan example");
    let community = store.import_community(&example).expect("import");
    let kinds = [
        "supermarket",
        "convenience_store",
        "barber",
        "laundry",
        "pharmacy",
        "restaurant",
    ];
    let mut facilities = Vec::new();
    for i in 0..60 {
        let fields: Fields = serde_json::from_value(json!({
            "kind": kinds[i % kinds.len()],
            "name": format!("商铺 {i}"),
            "building_area_m2": 40.0 + i as f64,
            "notes": "沿街底商",
        }))
        .unwrap();
        facilities.push(
            store
                .create(community, EntityKind::Facility, fields)
                .unwrap(),
        );
    }
    // A boundary walk: GPS points are records too, and a second-by-second walk has many.
    let walk_points: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    store
        .batch(|b| {
            for i in 0..walk_points {
                let fields: Fields = serde_json::from_value(json!({
                    "lon": 114.30 + i as f64 * 1e-5, "lat": 30.59, "accuracy_m": 4.0,
                    "taken_at": "2026-11-26T10:00:00+08:00", "source": "gnss",
                }))
                .unwrap();
                b.create(community, EntityKind::GpsPoint, fields)?;
            }
            Ok(())
        })
        .expect("the walk's points");
    let fields_in_survey = store.changes_after(0, usize::MAX).unwrap().len();

    // Ours: one field edit per transaction, as the app makes them.
    let mut ours = Vec::with_capacity(edits);
    let started = Instant::now();
    for i in 0..edits {
        let id = facilities[i % facilities.len()];
        let t = Instant::now();
        store
            .set(
                EntityKind::Facility,
                id,
                "building_area_m2",
                json!(50.0 + i as f64),
            )
            .expect("an edit");
        ours.push(t.elapsed());
    }
    let ours_total = started.elapsed();

    // Reference: the bare durable commit.
    let conn = Connection::open(dir.path().join("reference.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
        .unwrap();
    let mut reference = Vec::with_capacity(edits);
    let started = Instant::now();
    for i in 0..edits {
        let t = Instant::now();
        conn.execute(
            "INSERT INTO t (id, value) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            rusqlite::params![(i % 60) as i64, format!("{}", 50 + i)],
        )
        .unwrap();
        reference.push(t.elapsed());
    }
    let reference_total = started.elapsed();

    let ours_stats = Stats::of(&mut ours, ours_total);
    let ref_stats = Stats::of(&mut reference, reference_total);
    println!(
        "store benchmark: {edits} acknowledged edits on a survey of {} facilities, {walk_points} GPS points and {fields_in_survey} logged fields",
        facilities.len() + 19
    );
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "", "buqi edit", "bare commit", "ratio"
    );
    for (name, a, b) in [
        (
            "edits per second",
            ours_stats.per_second,
            ref_stats.per_second,
        ),
        ("median latency (ms)", ours_stats.median, ref_stats.median),
        ("p90 latency (ms)", ours_stats.p90, ref_stats.p90),
        ("p99 latency (ms)", ours_stats.p99, ref_stats.p99),
    ] {
        println!("{name:<34} {a:>12.3} {b:>12.3} {:>7.2}×", a / b);
    }
    println!(
        "target: p99 of one acknowledged edit < 5 ms — {}",
        if ours_stats.p99 < 5.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

struct Stats {
    per_second: f64,
    median: f64,
    p90: f64,
    p99: f64,
}

impl Stats {
    fn of(samples: &mut [Duration], total: Duration) -> Stats {
        samples.sort();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[i].as_secs_f64() * 1000.0
        };
        Stats {
            per_second: samples.len() as f64 / total.as_secs_f64(),
            median: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
        }
    }
}
