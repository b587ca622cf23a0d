//! Two `buqi serve` processes (the real binary) on one PostgreSQL database behave as one server:
//! devices push to either, a device pulls from either with one cursor, and both give the same log
//! with no skipped number. Needs `BUQI_TEST_POSTGRES` (scripts/postgres-test.sh).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use buqi_schema::change::{Change, Hlc, Stamp};
use buqi_schema::merge::Replica;
use common::http::Client;
use common::*;
use serde_json::{json, Value};
use uuid::Uuid;

const BATCHES: u64 = 30;

async fn pull_all(client: &Client) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = client
            .get(&format!("/v1/changes?after={after}&limit=1000"))
            .await
            .json();
        let changes = page["changes"].as_array().unwrap().clone();
        let n = changes.len();
        out.extend(changes);
        after = page["next"].as_i64().unwrap();
        if n < 1000 {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_behave_as_one() {
    let Some(db) = TestDb::postgres("two_servers_on_one_postgres_behave_as_one").await else {
        return;
    };
    let url = db.url();
    // Both start at once on the empty database: the migration runs once.
    let (first, second) = {
        let (u1, u2) = (url.clone(), url.clone());
        let one = std::thread::spawn(move || ServerProcess::start(&u1));
        let two = std::thread::spawn(move || ServerProcess::start(&u2));
        (one.join().unwrap(), two.join().unwrap())
    };
    let community = cli_world(&url);
    let (a, token_a) = http_enroll(first.addr, &cli_code(&url, "张三"), "张三的平板").await;
    let (b, token_b) = http_enroll(second.addr, &cli_code(&url, "李四"), "李四的平板").await;
    let servers = [first.addr, second.addr];
    let shared = Uuid::now_v7();

    let mut pushers = Vec::new();
    for (p, device, token) in [(0u64, a, token_a.clone()), (1, b, token_b.clone())] {
        pushers.push(tokio::spawn(async move {
            let mut made = Vec::new();
            let mut last: Option<Stamp> = None;
            for i in 0..BATCHES {
                let mut changes: Vec<Change> = (0..3)
                    .map(|k| {
                        change(
                            community,
                            Uuid::now_v7(),
                            "name",
                            json!(k),
                            at(i * 10 + k),
                            device,
                            None,
                        )
                    })
                    .collect();
                // Both edit one shared field, each from its own last value: conflicts.
                let edit = change(
                    community,
                    shared,
                    "name",
                    json!(format!("{p}/{i}")),
                    Hlc(at(i * 10 + 5).0 + p),
                    device,
                    last,
                );
                last = Some(edit.stamp());
                changes.push(edit);
                let server = servers[((i + p) % 2) as usize];
                let client = Client::new(server).with_token(&token);
                let body = push_body(Uuid::now_v7(), &changes);
                let mut r = client.post("/v1/changes", &body).await;
                // Over the device's request rate: wait, as the app does, and send it again.
                while r.status == 429 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    r = client.post("/v1/changes", &body).await;
                }
                assert_eq!(r.status, 200, "{}", r.json());
                assert_eq!(r.json()["accepted"], 4);
                made.extend(changes);
            }
            made
        }));
    }
    let done = Arc::new(AtomicBool::new(false));
    let puller = {
        let (done, token) = (done.clone(), token_a.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen, mut pulls) = (0i64, Vec::new(), 0u64);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let client = Client::new(servers[(pulls % 2) as usize]).with_token(&token);
                pulls += 1;
                let r = client
                    .get(&format!("/v1/changes?after={cursor}&limit=5"))
                    .await;
                if r.status == 429 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
                let page = r.json();
                let changes = page["changes"].as_array().unwrap().clone();
                for c in &changes {
                    assert!(c["seq"].as_i64().unwrap() > cursor);
                }
                let empty = changes.is_empty();
                seen.extend(changes);
                cursor = page["next"].as_i64().unwrap();
                if finished && empty {
                    return (seen, pulls);
                }
            }
        })
    };
    let mut made = Vec::new();
    for pusher in pushers {
        made.extend(pusher.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pulls) = puller.await.unwrap();

    let from_first = pull_all(&Client::new(first.addr).with_token(&token_b)).await;
    let from_second = pull_all(&Client::new(second.addr).with_token(&token_a)).await;
    assert_eq!(
        from_first, from_second,
        "the two servers give different logs"
    );
    let seqs: Vec<i64> = from_first
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=made.len() as i64).collect::<Vec<_>>(),
        "numbers have gaps"
    );
    assert_eq!(
        seen, from_first,
        "the cursor skipped changes ({pulls} pulls)"
    );
    assert!(pulls > 2);

    // And the merge is the one merge: a replica's fed the same changes.
    let mut reference = Replica::new();
    for c in &made {
        reference.apply(c).unwrap();
    }
    let store = db.store().await;
    let conflicts = store.conflicts().await.unwrap();
    assert!(!conflicts.is_empty());
    assert_eq!(conflicts, reference.conflicts());
    let winner = store
        .winners()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.entity == shared)
        .unwrap();
    assert_eq!(Some(winner.state), reference.field(shared, "name"));
    drop(store);
    drop((first, second));
    db.finish().await;
}

/// The database going away under a running server: requests are answered 503 with a JSON error,
/// and the server keeps running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_answered_503() {
    let Some(db) = TestDb::postgres("a_lost_database_is_answered_503").await else {
        return;
    };
    let w = world(db.store().await).await;
    let addr = start_server(w.store.clone(), buqi_server::serve::Config::default()).await;
    let client = Client::new(addr).with_token(&w.token_a);
    assert_eq!(client.get("/v1/health").await.status, 200);
    db.finish().await;
    for r in [
        client.get("/v1/health").await,
        client
            .post(
                "/v1/changes",
                &push_body(
                    Uuid::now_v7(),
                    &[change(
                        w.baibuting,
                        Uuid::now_v7(),
                        "name",
                        json!(1),
                        at(1),
                        w.a.device,
                        None,
                    )],
                ),
            )
            .await,
    ] {
        assert_eq!(r.status, 503, "{}", r.json());
        assert_eq!(r.error_code(), "database_unavailable");
        assert!(r.error_message().contains("nothing was changed"));
    }
}
