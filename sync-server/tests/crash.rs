//! `kill -9` of `buqi serve` (the real binary, on a SQLite file) while a tablet pushes batch after
//! batch: after a restart, every batch that was answered 200 is there, every batch is there whole
//! or not at all, and the file is intact. Several kills at random moments.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use buqi_schema::change::Change;
use common::http::{request, Client};
use common::*;
use serde_json::json;
use uuid::Uuid;

const KILLS: usize = 6;
const PER_BATCH: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_loses_no_acknowledged_push() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buqi.db");
    let db = format!("sqlite:{}", path.display());
    let community = cli_world(&db);
    let code = cli_code(&db, "张三");
    let mut rng = Rng::from_time("killing_the_server_loses_no_acknowledged_push");

    let mut server = ServerProcess::start(&db);
    let (device, token) = http_enroll(server.addr, &code, "张三的平板").await;
    let mut acknowledged: Vec<Vec<Change>> = Vec::new();
    let mut sent: Vec<Vec<Change>> = Vec::new();
    let mut reading = 0u64;
    for kill in 0..KILLS {
        let addr = server.addr;
        let token = token.clone();
        let start = reading;
        let pusher = tokio::spawn(async move {
            let (mut acked, mut sent) = (Vec::new(), Vec::new());
            let mut reading = start;
            loop {
                let changes: Vec<Change> = (0..PER_BATCH)
                    .map(|k| {
                        reading += 1;
                        change(
                            community,
                            Uuid::now_v7(),
                            "name",
                            json!(k),
                            at(reading),
                            device,
                            None,
                        )
                    })
                    .collect();
                let body = push_body(Uuid::now_v7(), &changes).to_string();
                sent.push(changes.clone());
                match request(
                    addr,
                    "POST",
                    "/v1/changes",
                    Some(&token),
                    Some(body.as_bytes()),
                )
                .await
                {
                    Ok(r) if r.status == 200 => acked.push(changes),
                    // Over the device's request rate: not acknowledged; wait as the app does.
                    Ok(r) if r.status == 429 => {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await
                    }
                    Ok(r) => panic!("push answered {}: {}", r.status, r.json()),
                    // The server is gone.
                    Err(_) => return (acked, sent, reading),
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(50 + rng.below(450))).await;
        server.kill();
        let (acked, tried, last) = pusher.await.unwrap();
        eprintln!(
            "kill {kill}: {} batches acknowledged before SIGKILL",
            acked.len()
        );
        reading = last;
        acknowledged.extend(acked);
        sent.extend(tried);
        server = ServerProcess::start(&db);
    }
    assert!(
        acknowledged.len() >= KILLS,
        "too few pushes were answered to test anything"
    );

    let client = Client::new(server.addr).with_token(&token);
    let mut held = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = client
            .get(&format!("/v1/changes?after={after}&limit=5000"))
            .await
            .json();
        let changes = page["changes"].as_array().unwrap();
        for p in changes {
            let c: Change = serde_json::from_value(p["change"].clone()).unwrap();
            held.insert(c.entity);
        }
        after = page["next"].as_i64().unwrap();
        if changes.len() < 5000 {
            break;
        }
    }
    for batch in &acknowledged {
        for c in batch {
            assert!(
                held.contains(&c.entity),
                "an acknowledged change is missing"
            );
        }
    }
    for batch in &sent {
        let present = batch.iter().filter(|c| held.contains(&c.entity)).count();
        assert!(
            present == 0 || present == PER_BATCH,
            "a batch is there in part: {present} of {PER_BATCH}"
        );
    }
    let whole = sent.iter().filter(|b| held.contains(&b[0].entity)).count();
    assert_eq!(held.len(), whole * PER_BATCH);
    drop(server);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
