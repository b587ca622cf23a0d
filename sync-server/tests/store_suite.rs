//! The store's test suite, run the same on both backends: `sqlite::…` on a SQLite file,
//! `postgres::…` on a real PostgreSQL (a fresh database per test on the server
//! `BUQI_TEST_POSTGRES` names; scripts/postgres-test.sh starts one).

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use buqi_schema::change::{Change, Hlc, Stamp, DELETED};
use buqi_schema::merge::{admit, Admitted, Replica};
use buqi_server::merge::Refusal;
use buqi_server::protocol::{PulledChange, Role};
use buqi_server::secret::{code_hash, new_token, token_hash};
use buqi_server::store::{
    DeviceAuth, ImportRow, PushContext, PushOutcome, Store, StoreError, SERVER_DEVICE,
};
use chrono::{Duration, Utc};
use common::*;
use serde_json::json;
use uuid::Uuid;

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let db = super::TestDb::sqlite();
                    super::$test(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let name = concat!("postgres::", stringify!($test));
                    let Some(db) = super::TestDb::postgres(name).await else {
                        return;
                    };
                    super::$test(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

suite!(
    a_database_opens_again_with_its_data,
    users_communities_and_assignments,
    enrollment_codes_are_single_use_and_expire,
    a_revoked_device_is_refused,
    pushed_changes_come_back_in_order,
    a_replay_changes_nothing,
    one_bad_change_refuses_the_whole_batch,
    concurrent_edits_are_conflicts_and_sequential_ones_are_not,
    winners_and_conflicts_equal_a_replicas,
    far_future_readings_are_capped_and_a_lower_cap_moves_the_change,
    a_pull_sees_only_assigned_communities,
    a_cursor_past_the_log_is_refused,
    concurrent_pushers_never_make_a_puller_skip,
    a_user_reaches_only_their_own_city,
    a_photo_is_visible_only_through_a_record_of_it,
    an_import_is_whole_or_nothing_and_never_overwrites,
);

const MAX_AHEAD: u64 = 3600;

fn cx(auth: &DeviceAuth, now: Hlc) -> PushContext<'_> {
    PushContext {
        auth,
        batch: Uuid::now_v7(),
        now,
        max_ahead_secs: MAX_AHEAD,
        at: Utc::now(),
    }
}

async fn push(store: &Store, auth: &DeviceAuth, changes: &[Change]) -> PushOutcome {
    store
        .push(&cx(auth, now_hlc()), changes.to_vec())
        .await
        .unwrap_or_else(|e| panic!("push refused: {e}"))
}

/// Everything a user may pull after `after`, in pages.
async fn pull_all(store: &Store, user: Uuid, after: i64) -> Vec<PulledChange> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page = store.pull(user, cursor, 1000).await.unwrap();
        let full = page.changes.len() == 1000;
        out.extend(page.changes);
        cursor = page.next;
        if !full {
            return out;
        }
    }
}

/// What a pull shows of the store, for checking that something changed nothing.
async fn snapshot(w: &World) -> impl PartialEq + std::fmt::Debug {
    (
        pull_all(&w.store, w.b.user.id, 0).await,
        w.store.pull(w.b.user.id, 0, 1).await.unwrap().next,
        w.store.winners().await.unwrap(),
        w.store.conflicts().await.unwrap(),
        w.store.audit().await.unwrap().len(),
    )
}

async fn a_database_opens_again_with_its_data(db: &TestDb) {
    let w = world(db.store().await).await;
    let c = change(
        w.baibuting,
        Uuid::now_v7(),
        "name",
        json!("卫生站"),
        at(1),
        w.a.device,
        None,
    );
    push(&w.store, &w.a, std::slice::from_ref(&c)).await;
    drop(w.store);
    let again = db.store().await;
    let pulled = pull_all(&again, w.a.user.id, 0).await;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].change, c);
    assert!(again
        .authenticate(&token_hash(&w.token_a))
        .await
        .unwrap()
        .is_some());
    again.ping().await.unwrap();
}

async fn users_communities_and_assignments(db: &TestDb) {
    let w = world(db.store().await).await;
    let now = Utc::now();
    let err = w
        .store
        .add_user("张三", Role::Office, CITY, None, now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UserExists(_)), "{err}");
    let err = w
        .store
        .add_community(
            buqi_server::store::Community {
                id: w.baibuting,
                name: "again".into(),
                city: CITY.into(),
            },
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CommunityExists(_)), "{err}");
    let err = w.store.assign("王五", "百步亭社区", now).await.unwrap_err();
    assert!(matches!(err, StoreError::NoUser(_)), "{err}");
    let err = w.store.assign("张三", "东湖社区", now).await.unwrap_err();
    assert!(matches!(err, StoreError::NoCommunity(_)), "{err}");
    // Two communities of one name are named by id.
    w.store
        .add_community(
            buqi_server::store::Community {
                id: Uuid::now_v7(),
                name: "百步亭社区".into(),
                city: "宜昌".into(),
            },
            now,
        )
        .await
        .unwrap();
    let err = w.store.assign("张三", "百步亭社区", now).await.unwrap_err();
    assert!(
        matches!(err, StoreError::AmbiguousCommunity { count: 2, .. }),
        "{err}"
    );
    // Assigning twice is no error and no second assignment.
    let (user, community) = w
        .store
        .assign("张三", &w.baibuting.to_string(), now)
        .await
        .unwrap();
    assert_eq!((user.name.as_str(), community.id), ("张三", w.baibuting));
    let mine = w.store.communities_of(w.b.user.id).await.unwrap();
    let names: Vec<&str> = mine.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["水果湖社区", "百步亭社区"]);
    // Unassigning takes it away again (twice is no error), and is audited once.
    w.store
        .unassign("张三", &w.baibuting.to_string(), now)
        .await
        .unwrap();
    w.store
        .unassign("张三", &w.baibuting.to_string(), now)
        .await
        .unwrap();
    let theirs = w.store.communities_of(user.id).await.unwrap();
    assert!(theirs.iter().all(|c| c.id != w.baibuting), "{theirs:?}");
    w.store
        .assign("张三", &w.baibuting.to_string(), now)
        .await
        .unwrap();
    // Every community on the server, by name, the same-named two both there.
    let all = w.store.communities().await.unwrap();
    assert_eq!(all.iter().filter(|c| c.name == "百步亭社区").count(), 2);
    assert!(all.windows(2).all(|p| p[0].name <= p[1].name));
    // Passwords are kept hashed.
    let hash = buqi_server::secret::hash_password("correct horse").unwrap();
    w.store
        .add_user("王五", Role::Office, CITY, Some(hash), now)
        .await
        .unwrap();
    let kept = w.store.password_hash("王五").await.unwrap().unwrap();
    assert!(buqi_server::secret::verify_password("correct horse", &kept));
    assert_eq!(w.store.password_hash("张三").await.unwrap(), None);
    let actions: Vec<String> = w
        .store
        .audit()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "assign").count(), 4);
    assert_eq!(actions.iter().filter(|a| *a == "unassign").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "user_add").count(), 3);
}

async fn enrollment_codes_are_single_use_and_expire(db: &TestDb) {
    let w = world(db.store().await).await;
    let store = &w.store;
    let code = code_for(store, "张三").await;
    let device = Uuid::now_v7();
    let token = new_token().unwrap();
    let enrolled = store
        .enroll(
            &code_hash(&code),
            device,
            "新平板",
            &token_hash(&token),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(enrolled.user.name, "张三");
    assert_eq!(enrolled.user.role, Role::Surveyor);
    assert_eq!(enrolled.communities.len(), 1);
    assert_eq!(enrolled.communities[0].id, w.baibuting);
    // The same code again, even typed differently: used.
    let err = store
        .enroll(
            &code_hash(&code.to_lowercase()),
            Uuid::now_v7(),
            "x",
            &token_hash(&new_token().unwrap()),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CodeUsed { .. }), "{err}");
    let err = store
        .enroll(
            &code_hash("NOPE-NOPE"),
            Uuid::now_v7(),
            "x",
            "t",
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CodeUnknown), "{err}");
    // An expired code.
    let old = code_for(store, "张三").await;
    let err = store
        .enroll(
            &code_hash(&old),
            Uuid::now_v7(),
            "x",
            "t2",
            Utc::now() + Duration::hours(2),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CodeExpired { .. }), "{err}");
    // Another user's device id: refused, and the code is not used up.
    let theirs = code_for(store, "李四").await;
    let err = store
        .enroll(&code_hash(&theirs), device, "x", "t3", Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DeviceTaken { .. }), "{err}");
    // Enrolling the device again (for its own user) replaces its token and lifts a revocation.
    store.revoke_device(device, Utc::now()).await.unwrap();
    let again = code_for(store, "张三").await;
    let new_token = new_token().unwrap();
    store
        .enroll(
            &code_hash(&again),
            device,
            "新平板",
            &token_hash(&new_token),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(store.authenticate(&token_hash(&token)).await.unwrap(), None);
    let auth = store
        .authenticate(&token_hash(&new_token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((auth.device, auth.revoked_at), (device, None));
    let enrolls = store
        .audit()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "enroll" && a.device == Some(device))
        .count();
    assert_eq!(enrolls, 2);
}

async fn a_revoked_device_is_refused(db: &TestDb) {
    let w = world(db.store().await).await;
    let revoked = w.store.revoke_device(w.a.device, Utc::now()).await.unwrap();
    let first = revoked.revoked_at.unwrap();
    let again = w.store.revoke_device(w.a.device, Utc::now()).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(first),
        "revoking twice keeps the first time"
    );
    let auth = w
        .store
        .authenticate(&token_hash(&w.token_a))
        .await
        .unwrap()
        .unwrap();
    assert!(auth.revoked_at.is_some());
    // A push that got past the token check before the revocation is still refused.
    let c = change(
        w.baibuting,
        Uuid::now_v7(),
        "name",
        json!("x"),
        at(1),
        w.a.device,
        None,
    );
    let err = w
        .store
        .push(&cx(&w.a, now_hlc()), vec![c])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Revoked { .. }), "{err}");
    let err = w
        .store
        .revoke_device(Uuid::now_v7(), Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoDevice(_)), "{err}");
    let devices = w.store.devices(Some("张三")).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].revoked_at, Some(first));
    assert_eq!(w.store.devices(None).await.unwrap().len(), 2);
    assert!(matches!(
        w.store.devices(Some("王五")).await,
        Err(StoreError::NoUser(_))
    ));
}

async fn pushed_changes_come_back_in_order(db: &TestDb) {
    let w = world(db.store().await).await;
    let facility = Uuid::now_v7();
    let changes = vec![
        change(
            w.baibuting,
            facility,
            "name",
            json!("社区卫生服务站"),
            at(1),
            w.a.device,
            None,
        ),
        change(
            w.baibuting,
            facility,
            "building_area_m2",
            json!(120.5),
            at(2),
            w.a.device,
            None,
        ),
        change(
            w.baibuting,
            facility,
            "kind",
            json!("health_station"),
            at(3),
            w.a.device,
            None,
        ),
    ];
    let batch = Uuid::now_v7();
    let mut context = cx(&w.a, now_hlc());
    context.batch = batch;
    let outcome = w.store.push(&context, changes.clone()).await.unwrap();
    assert_eq!(
        outcome,
        PushOutcome {
            accepted: 3,
            duplicates: 0,
            last_seq: 3
        }
    );
    let page = w.store.pull(w.b.user.id, 0, 2).await.unwrap();
    assert_eq!(page.changes.len(), 2);
    assert_eq!(page.next, 2);
    let rest = w.store.pull(w.b.user.id, page.next, 2).await.unwrap();
    assert_eq!(rest.changes.len(), 1);
    assert_eq!(rest.next, 3);
    let pulled: Vec<_> = page.changes.iter().chain(&rest.changes).collect();
    for (i, (p, c)) in pulled.iter().zip(&changes).enumerate() {
        assert_eq!(p.seq, i as i64 + 1);
        assert_eq!(&p.change, c);
        assert_eq!(p.capped_from, None);
    }
    // Nothing more: the cursor stays.
    let empty = w.store.pull(w.b.user.id, 3, 10).await.unwrap();
    assert!(empty.changes.is_empty());
    assert_eq!(empty.next, 3);
    // The audit log has each change with its user, device and batch.
    let lines: Vec<_> = w
        .store
        .audit()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "change")
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line.user, Some(w.a.user.id));
        assert_eq!(line.device, Some(w.a.device));
        assert_eq!(line.batch, Some(batch));
        assert!(line.change.is_some());
        assert!((Utc::now() - line.at).num_seconds().abs() < 60);
    }
    let winners = w.store.winners().await.unwrap();
    assert_eq!(winners.len(), 3);
    assert!(winners
        .iter()
        .all(|x| x.entity == facility && x.state.stamp.device == w.a.device));
}

async fn a_replay_changes_nothing(db: &TestDb) {
    let w = world(db.store().await).await;
    let facility = Uuid::now_v7();
    let first = change(
        w.baibuting,
        facility,
        "name",
        json!("a"),
        at(1),
        w.a.device,
        None,
    );
    let second = change(
        w.baibuting,
        facility,
        "name",
        json!("b"),
        at(2),
        w.b.device,
        None,
    );
    let third = change(
        w.baibuting,
        facility,
        DELETED,
        json!(true),
        at(3),
        w.a.device,
        None,
    );
    push(&w.store, &w.a, &[first.clone(), third.clone()]).await;
    push(&w.store, &w.b, std::slice::from_ref(&second)).await;
    let before = snapshot(&w).await;
    // The same batch again, a part of it under a new batch id, and one change twice in a batch.
    let mut same = cx(&w.a, now_hlc());
    same.batch = Uuid::now_v7();
    for _ in 0..2 {
        let outcome = w
            .store
            .push(&same, vec![first.clone(), third.clone()])
            .await
            .unwrap();
        assert_eq!(
            (outcome.accepted, outcome.duplicates, outcome.last_seq),
            (0, 2, 3)
        );
    }
    let outcome = push(&w.store, &w.a, &[third.clone(), third.clone()]).await;
    assert_eq!((outcome.accepted, outcome.duplicates), (0, 2));
    assert_eq!(snapshot(&w).await, before);
    // A change twice in one new batch is accepted once.
    let fourth = change(
        w.baibuting,
        facility,
        "name",
        json!("c"),
        at(4),
        w.a.device,
        None,
    );
    let outcome = push(&w.store, &w.a, &[fourth.clone(), fourth]).await;
    assert_eq!(
        (outcome.accepted, outcome.duplicates, outcome.last_seq),
        (1, 1, 4)
    );
}

async fn one_bad_change_refuses_the_whole_batch(db: &TestDb) {
    let w = world(db.store().await).await;
    let facility = Uuid::now_v7();
    let held = change(
        w.baibuting,
        facility,
        "name",
        json!("a"),
        at(1),
        w.a.device,
        None,
    );
    push(&w.store, &w.a, std::slice::from_ref(&held)).await;
    let before = snapshot(&w).await;
    let good = |n: u64| {
        change(
            w.baibuting,
            Uuid::now_v7(),
            "name",
            json!(n),
            at(10 + n),
            w.a.device,
            None,
        )
    };
    // The stamp of a held change with another value.
    let mut forged = held.clone();
    forged.value = json!("forged");
    let err = w
        .store
        .push(&cx(&w.a, now_hlc()), vec![good(1), good(2), forged])
        .await
        .unwrap_err();
    let StoreError::Refused(refusal) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(refusal, Refusal::StampReused { index: 2, .. }),
        "{err}"
    );
    assert_eq!(refusal.field_path(), "changes[2].hlc");
    assert!(
        err.to_string()
            .contains("nothing in this batch was applied"),
        "{err}"
    );
    // A record named with another kind.
    let mut moved = good(3);
    moved.entity = facility;
    moved.kind = buqi_schema::record::EntityKind::Ramp;
    let err = w
        .store
        .push(&cx(&w.a, now_hlc()), vec![good(4), moved])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Refused(Refusal::EntityMismatch { index: 1, .. })
        ),
        "{err}"
    );
    // A community not assigned to the user.
    let mut elsewhere = good(5);
    elsewhere.community = w.nanhu;
    let err = w
        .store
        .push(&cx(&w.a, now_hlc()), vec![good(6), elsewhere])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(Refusal::ForbiddenCommunity { index: 1, community, .. }) if community == w.nanhu),
        "{err}"
    );
    assert!(err.to_string().contains(&w.nanhu.to_string()), "{err}");
    // Another device's change.
    let mut theirs = good(7);
    theirs.device = w.b.device;
    let err = w
        .store
        .push(&cx(&w.a, now_hlc()), vec![theirs])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Refused(Refusal::WrongDevice { index: 0, .. })
        ),
        "{err}"
    );
    assert_eq!(
        snapshot(&w).await,
        before,
        "a refused batch changes nothing"
    );
}

async fn concurrent_edits_are_conflicts_and_sequential_ones_are_not(db: &TestDb) {
    let w = world(db.store().await).await;
    let facility = Uuid::now_v7();
    let first = change(
        w.baibuting,
        facility,
        "area",
        json!(100),
        at(10),
        w.a.device,
        None,
    );
    push(&w.store, &w.a, std::slice::from_ref(&first)).await;
    // Both edit from the first value without seeing each other.
    let by_a = change(
        w.baibuting,
        facility,
        "area",
        json!(120),
        at(20),
        w.a.device,
        Some(first.stamp()),
    );
    let by_b = change(
        w.baibuting,
        facility,
        "area",
        json!(130),
        at(21),
        w.b.device,
        Some(first.stamp()),
    );
    push(&w.store, &w.b, std::slice::from_ref(&by_b)).await;
    push(&w.store, &w.a, std::slice::from_ref(&by_a)).await;
    let conflicts = w.store.conflicts().await.unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].winner.value, json!(130));
    assert_eq!(conflicts[0].loser.value, json!(120));
    assert_eq!(conflicts[0].loser.stamp, by_a.stamp());
    // A, having seen B's value, edits again: no new conflict.
    let again = change(
        w.baibuting,
        facility,
        "area",
        json!(125),
        at(30),
        w.a.device,
        Some(by_b.stamp()),
    );
    push(&w.store, &w.a, std::slice::from_ref(&again)).await;
    assert_eq!(w.store.conflicts().await.unwrap(), conflicts);
    let winners = w.store.winners().await.unwrap();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].state.value, json!(125));
    assert_eq!(winners[0].state.stamp, again.stamp());
}

/// Three devices (one with its clock a year ahead) edit a few fields of a few records, each
/// from what it last saw, in batches pushed in a random order with replays, some at a server
/// clock set behind. The store's winners and conflicts are then a replica's that was fed the
/// same admitted changes, and a device that pulls everything holds exactly that replica.
async fn winners_and_conflicts_equal_a_replicas(db: &TestDb) {
    let w = world(db.store().await).await;
    let (c, _) = enroll(&w.store, "李四", "李四的第二台平板").await;
    let devices = [w.a.clone(), w.b.clone(), c];
    // Device 2's clock is a year ahead; device 1's two hours behind.
    let offsets: [i64; 3] = [0, -7_200, 365 * 86_400];
    let mut rng = Rng::from_time("winners_and_conflicts_equal_a_replicas");
    let records: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let fields = ["name", "building_area_m2", DELETED];
    let mut reference = Replica::new();
    let mut made: Vec<Change> = Vec::new();
    let mut last = [Hlc(0); 3];
    let mut pushed: Vec<(usize, Vec<Change>, Hlc)> = Vec::new();
    let mut time: u64 = 100_000;
    let push_at = |d: usize, batch: &[Change], now: Hlc, reference: &mut Replica| {
        let context = PushContext {
            auth: &devices[d],
            batch: Uuid::now_v7(),
            now,
            max_ahead_secs: MAX_AHEAD,
            at: Utc::now(),
        };
        let store = w.store.clone();
        let batch = batch.to_vec();
        for change in &batch {
            reference
                .apply_admitted(&admit(change.clone(), now, MAX_AHEAD))
                .unwrap();
        }
        async move { store.push(&context, batch).await.unwrap() }
    };
    for round in 0..60 {
        time += 1 + rng.below(600);
        let d = if round == 0 { 2 } else { rng.below(3) as usize };
        let mut batch = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let record = records[rng.below(records.len() as u64) as usize];
            let field = fields[rng.below(3) as usize];
            let reading = (time as i64 + offsets[d]) as u64;
            let hlc = Hlc(at(reading).0.max(last[d].0 + 1));
            last[d] = hlc;
            let base = match rng.below(4) {
                // What it saw last time it pulled: the field's winner, capped if capped.
                0 | 1 => reference.field(record, field).map(|s| s.stamp),
                // An older change of the field (it pulled long ago, or edited a loser).
                2 => {
                    let older: Vec<Stamp> = made
                        .iter()
                        .filter(|c| c.entity == record && c.field == field)
                        .map(Change::stamp)
                        .collect();
                    (!older.is_empty()).then(|| older[rng.below(older.len() as u64) as usize])
                }
                _ => None,
            };
            let value = if field == DELETED {
                json!(rng.chance(50))
            } else {
                json!(rng.below(1000))
            };
            let change = change(
                w.baibuting,
                record,
                field,
                value,
                hlc,
                devices[d].device,
                base,
            );
            made.push(change.clone());
            batch.push(change);
        }
        let now = at(time + rng.below(30));
        push_at(d, &batch, now, &mut reference).await;
        pushed.push((d, batch, now));
        if rng.chance(20) {
            // A replay of an earlier batch, now (a duplicate: capped higher, or not at all).
            let (d, batch, _) = pushed[rng.below(pushed.len() as u64) as usize].clone();
            let outcome = push_at(d, &batch, at(time), &mut reference).await;
            assert_eq!(outcome.accepted, 0);
        }
    }
    // The first batch (device 2, a year ahead: capped) again, at a server clock half an hour
    // behind: a lower cap, which every replica keeps.
    let (d, batch, first_now) = pushed[0].clone();
    let outcome = push_at(d, &batch, Hlc(first_now.0 - (1_800 << 32)), &mut reference).await;
    assert_eq!(outcome.accepted, 0);

    let winners: Vec<_> = w
        .store
        .winners()
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.entity, x.field, x.state))
        .collect();
    let mut expected = Vec::new();
    for record in &records {
        for field in fields {
            if let Some(state) = reference.field(*record, field) {
                expected.push((*record, field.to_owned(), state));
            }
        }
    }
    expected.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    assert_eq!(winners, expected);
    let conflicts = w.store.conflicts().await.unwrap();
    assert_eq!(conflicts, reference.conflicts());
    assert!(
        !conflicts.is_empty(),
        "the run made no conflicts to compare"
    );

    let pulled = pull_all(&w.store, w.b.user.id, 0).await;
    let mut device = Replica::new();
    for p in &pulled {
        device
            .apply_admitted(&Admitted {
                change: p.change.clone(),
                capped_from: p.capped_from,
            })
            .unwrap();
    }
    assert_eq!(device, reference);
    assert!(pulled.iter().any(|p| p.capped_from.is_some()));
    let recaps = w.store.audit().await.unwrap();
    assert!(
        recaps.iter().any(|a| a.action == "recap"),
        "no lower cap was seen"
    );
}

async fn far_future_readings_are_capped_and_a_lower_cap_moves_the_change(db: &TestDb) {
    let w = world(db.store().await).await;
    let now = now_hlc();
    let year = 365 * 86_400u64;
    let ahead = change(
        w.baibuting,
        Uuid::now_v7(),
        "name",
        json!("from the future"),
        Hlc(now.0 + (year << 32)),
        w.a.device,
        None,
    );
    w.store
        .push(&cx(&w.a, now), vec![ahead.clone()])
        .await
        .unwrap();
    let pulled = pull_all(&w.store, w.a.user.id, 0).await;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].capped_from, Some(ahead.hlc));
    assert_eq!(pulled[0].change.hlc, Hlc(now.0 + (MAX_AHEAD << 32)));
    let winner = &w.store.winners().await.unwrap()[0];
    assert_eq!(winner.state.capped_from, Some(ahead.hlc));
    // Sent again a day later: capped higher, the same change; nothing moves.
    let later = Hlc(now.0 + (86_400 << 32));
    let outcome = w
        .store
        .push(&cx(&w.a, later), vec![ahead.clone()])
        .await
        .unwrap();
    assert_eq!(
        (outcome.accepted, outcome.duplicates, outcome.last_seq),
        (0, 1, 1)
    );
    // Sent to a server whose clock is behind: a lower cap, kept; the change moves to a new
    // sequence number, so devices that pulled it get the lower cap too.
    let behind = Hlc(now.0 - (600 << 32));
    let outcome = w
        .store
        .push(&cx(&w.a, behind), vec![ahead.clone()])
        .await
        .unwrap();
    assert_eq!(
        (outcome.accepted, outcome.duplicates, outcome.last_seq),
        (0, 1, 2)
    );
    let moved = w.store.pull(w.a.user.id, 1, 10).await.unwrap();
    assert_eq!(moved.changes.len(), 1);
    assert_eq!(moved.changes[0].seq, 2);
    assert_eq!(
        moved.changes[0].change.hlc,
        Hlc(behind.0 + (MAX_AHEAD << 32))
    );
    assert_eq!(moved.changes[0].capped_from, Some(ahead.hlc));
    assert_eq!(pull_all(&w.store, w.a.user.id, 0).await.len(), 1);
    let actions: Vec<String> = w
        .store
        .audit()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "recap").count(), 1);
}

async fn a_pull_sees_only_assigned_communities(db: &TestDb) {
    let w = world(db.store().await).await;
    // 李四 works in both of his communities; 张三 only has 百步亭.
    let mut changes = Vec::new();
    for i in 0..6u64 {
        let community = if i % 2 == 0 { w.shuiguohu } else { w.baibuting };
        changes.push(change(
            community,
            Uuid::now_v7(),
            "name",
            json!(i),
            at(i),
            w.b.device,
            None,
        ));
    }
    push(&w.store, &w.b, &changes).await;
    let page = w.store.pull(w.a.user.id, 0, 100).await.unwrap();
    let seen: Vec<u64> = page
        .changes
        .iter()
        .map(|p| p.change.value.as_u64().unwrap())
        .collect();
    assert_eq!(seen, [1, 3, 5]);
    assert_eq!(
        page.next, 6,
        "a short page moves the cursor to the end of the log"
    );
    let communities: Vec<Uuid> = page.communities.iter().map(|c| c.id).collect();
    assert_eq!(communities, [w.baibuting]);
    // A full page stops at its last change.
    let page = w.store.pull(w.a.user.id, 0, 2).await.unwrap();
    assert_eq!(page.changes.len(), 2);
    assert_eq!(page.next, 4);
    // Once assigned, the community's earlier changes are there from after=0.
    w.store
        .assign("张三", "水果湖社区", Utc::now())
        .await
        .unwrap();
    let page = w.store.pull(w.a.user.id, 0, 100).await.unwrap();
    assert_eq!(page.changes.len(), 6);
    assert_eq!(page.communities.len(), 2);
    // Nobody is assigned 南湖: nothing of it is pulled by anyone.
    let all: BTreeSet<Uuid> = pull_all(&w.store, w.b.user.id, 0)
        .await
        .into_iter()
        .map(|p| p.change.community)
        .collect();
    assert!(!all.contains(&w.nanhu));
}

async fn a_cursor_past_the_log_is_refused(db: &TestDb) {
    let w = world(db.store().await).await;
    let c = change(
        w.baibuting,
        Uuid::now_v7(),
        "name",
        json!(1),
        at(1),
        w.a.device,
        None,
    );
    push(&w.store, &w.a, &[c]).await;
    let err = w.store.pull(w.a.user.id, 2, 10).await.unwrap_err();
    assert!(
        matches!(err, StoreError::CursorAhead { after: 2, last: 1 }),
        "{err}"
    );
    assert!(err.to_string().contains("after=0"), "{err}");
    assert_eq!(w.store.pull(w.a.user.id, 1, 10).await.unwrap().next, 1);
}

/// Pushers on several devices at once, and a device pulling with its cursor all the while: the
/// cursor never passes a change, whatever order the pushes commit in.
async fn concurrent_pushers_never_make_a_puller_skip(db: &TestDb) {
    const PUSHERS: usize = 4;
    const BATCHES: u64 = 25;
    const PER_BATCH: u64 = 4;
    let w = world(db.store().await).await;
    let community = w.baibuting;
    let mut pushers = Vec::new();
    for p in 0..PUSHERS {
        let (auth, _) = enroll(&w.store, "张三", &format!("平板 {p}")).await;
        let store = w.store.clone();
        pushers.push(tokio::spawn(async move {
            for b in 0..BATCHES {
                let changes: Vec<Change> = (0..PER_BATCH)
                    .map(|k| {
                        change(
                            community,
                            Uuid::now_v7(),
                            "name",
                            json!(format!("{p}/{b}/{k}")),
                            at(b * PER_BATCH + k),
                            auth.device,
                            None,
                        )
                    })
                    .collect();
                store.push(&cx(&auth, now_hlc()), changes).await.unwrap();
            }
        }));
    }
    let done = Arc::new(AtomicBool::new(false));
    let puller = {
        let (store, done, user) = (w.store.clone(), done.clone(), w.b.user.id);
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            let mut pulls = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = store.pull(user, cursor, 7).await.unwrap();
                pulls += 1;
                for p in &page.changes {
                    assert!(
                        p.seq > cursor,
                        "seq {} at or before the cursor {cursor}",
                        p.seq
                    );
                }
                seen.extend(page.changes.iter().map(|p| (p.seq, p.change.clone())));
                cursor = page.next;
                if finished && page.changes.is_empty() {
                    return (seen, pulls);
                }
            }
        })
    };
    for pusher in pushers {
        pusher.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pulls) = puller.await.unwrap();
    let all: Vec<(i64, Change)> = pull_all(&w.store, w.b.user.id, 0)
        .await
        .into_iter()
        .map(|p| (p.seq, p.change))
        .collect();
    let total = PUSHERS as u64 * BATCHES * PER_BATCH;
    assert_eq!(all.len() as u64, total);
    let seqs: Vec<i64> = all.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=total as i64).collect::<Vec<_>>(),
        "numbers have gaps"
    );
    assert_eq!(
        seen.len(),
        all.len(),
        "the cursor skipped changes ({pulls} pulls)"
    );
    assert_eq!(seen, all);
    assert!(pulls > 2, "the puller did not run beside the pushers");
}

/// 王科长 (office, 武汉) and 浦东的调查员 (surveyor, 上海) with 外滩社区 (上海) assigned; 外滩's id.
async fn shanghai(w: &World) -> Uuid {
    let now = Utc::now();
    w.store
        .add_user("王科长", Role::Office, CITY, None, now)
        .await
        .unwrap();
    w.store
        .add_user("浦东的调查员", Role::Surveyor, "上海", None, now)
        .await
        .unwrap();
    let bund = Uuid::now_v7();
    w.store
        .add_community(
            buqi_server::store::Community {
                id: bund,
                name: "外滩社区".into(),
                city: "上海".into(),
            },
            now,
        )
        .await
        .unwrap();
    w.store
        .assign("浦东的调查员", "外滩社区", now)
        .await
        .unwrap();
    bund
}

async fn a_user_reaches_only_their_own_city(db: &TestDb) {
    let w = world(db.store().await).await;
    let bund = shanghai(&w).await;
    let audited = w.store.audit().await.unwrap().len();
    let err = w
        .store
        .assign("王科长", "外滩社区", Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OtherCity { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("王科长") && message.contains("上海") && message.contains("武汉"),
        "{message}"
    );
    assert_eq!(
        w.store.audit().await.unwrap().len(),
        audited,
        "nothing audited"
    );
    let (office, _) = enroll(&w.store, "王科长", "科长的平板").await;
    assert!(w
        .store
        .communities_of(office.user.id)
        .await
        .unwrap()
        .is_empty());
    let (pudong, _) = enroll(&w.store, "浦东的调查员", "浦东的平板").await;
    push(
        &w.store,
        &pudong,
        &[change(
            bund,
            Uuid::now_v7(),
            "name",
            json!("外滩"),
            at(1),
            pudong.device,
            None,
        )],
    )
    .await;

    // An assignment across cities made before the rule: the office still reaches nothing there.
    db.legacy_assign(office.user.id, bund).await;
    w.store
        .assign("王科长", "百步亭社区", Utc::now())
        .await
        .unwrap();
    let theirs: Vec<Uuid> = w
        .store
        .communities_of(office.user.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(theirs, [w.baibuting]);
    let page = w.store.pull(office.user.id, 0, 100).await.unwrap();
    assert!(page.changes.is_empty(), "{:?}", page.changes);
    let own = change(
        w.baibuting,
        Uuid::now_v7(),
        "name",
        json!("百步亭"),
        at(2),
        office.device,
        None,
    );
    let there = change(
        bund,
        Uuid::now_v7(),
        "name",
        json!("改"),
        at(3),
        office.device,
        None,
    );
    let err = w
        .store
        .push(&cx(&office, now_hlc()), vec![own.clone(), there])
        .await
        .unwrap_err();
    let StoreError::Refused(refusal) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(refusal, Refusal::OtherCity { index: 1, .. }),
        "{err}"
    );
    assert_eq!(refusal.field_path(), "changes[1].community");
    assert!(err.to_string().contains("上海"), "{err}");
    // Nothing of the batch was applied; its own city's change alone goes through.
    assert!(w
        .store
        .pull(office.user.id, 0, 100)
        .await
        .unwrap()
        .changes
        .is_empty());
    assert_eq!(push(&w.store, &office, &[own]).await.accepted, 1);
    assert_eq!(
        w.store
            .pull(office.user.id, 0, 100)
            .await
            .unwrap()
            .changes
            .len(),
        1
    );
}

async fn a_photo_is_visible_only_through_a_record_of_it(db: &TestDb) {
    let w = world(db.store().await).await;
    let bund = shanghai(&w).await;
    let (pudong, _) = enroll(&w.store, "浦东的调查员", "浦东的平板").await;
    let photo = |community, device, address: &str, secs| Change {
        kind: buqi_schema::record::EntityKind::Photo,
        ..change(
            community,
            Uuid::now_v7(),
            "sha256",
            json!(address),
            at(secs),
            device,
            None,
        )
    };
    let in_shuiguohu = "a".repeat(64);
    let in_bund = "b".repeat(64);
    push(
        &w.store,
        &w.b,
        &[photo(w.shuiguohu, w.b.device, &in_shuiguohu, 1)],
    )
    .await;
    push(
        &w.store,
        &pudong,
        &[photo(bund, pudong.device, &in_bund, 2)],
    )
    .await;
    assert!(w
        .store
        .photo_visible(w.b.user.id, &in_shuiguohu)
        .await
        .unwrap());
    // 张三 has only 百步亭; nobody has a record of a third address.
    assert!(!w
        .store
        .photo_visible(w.a.user.id, &in_shuiguohu)
        .await
        .unwrap());
    assert!(!w
        .store
        .photo_visible(w.b.user.id, &"c".repeat(64))
        .await
        .unwrap());
    // The same address as a field of another kind of record is not a photo of the community.
    let mut not_a_photo = photo(w.baibuting, w.a.device, &"d".repeat(64), 3);
    not_a_photo.kind = buqi_schema::record::EntityKind::Facility;
    push(&w.store, &w.a, &[not_a_photo]).await;
    assert!(!w
        .store
        .photo_visible(w.a.user.id, &"d".repeat(64))
        .await
        .unwrap());
    // Across cities, even with an old assignment, no.
    assert!(w
        .store
        .photo_visible(pudong.user.id, &in_bund)
        .await
        .unwrap());
    db.legacy_assign(w.b.user.id, bund).await;
    assert!(!w.store.photo_visible(w.b.user.id, &in_bund).await.unwrap());
    // Once assigned, 张三 may download 水果湖's photo.
    w.store
        .assign("张三", "水果湖社区", Utc::now())
        .await
        .unwrap();
    assert!(w
        .store
        .photo_visible(w.a.user.id, &in_shuiguohu)
        .await
        .unwrap());
}

async fn an_import_is_whole_or_nothing_and_never_overwrites(db: &TestDb) {
    let w = world(db.store().await).await;
    let now = Utc::now();
    w.store
        .add_user("浦东的调查员", Role::Surveyor, "上海", None, now)
        .await
        .unwrap();
    let community = |name: &str, city: &str| buqi_server::store::Community {
        id: Uuid::now_v7(),
        name: name.into(),
        city: city.into(),
    };
    let donghu = community("东湖社区", CITY);
    let fields = |district: &str| {
        vec![
            ("name".to_owned(), json!("东湖社区")),
            ("district".to_owned(), json!(district)),
            ("kind".to_owned(), json!("existing")),
        ]
    };
    let good = ImportRow {
        community: donghu.clone(),
        surveyors: vec!["张三".into()],
        fields: fields("武昌区"),
    };
    // The second row's surveyor works in another city: nothing of the first row is written.
    let bad = ImportRow {
        community: community("外滩社区", "上海"),
        surveyors: vec!["张三".into()],
        fields: vec![("district".to_owned(), json!("黄浦区"))],
    };
    let before = (
        w.store.audit().await.unwrap().len(),
        w.store.communities().await.unwrap().len(),
    );
    let err = w
        .store
        .import(vec![good.clone(), bad], now_hlc(), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OtherCity { .. }), "{err}");
    assert_eq!(
        (
            w.store.audit().await.unwrap().len(),
            w.store.communities().await.unwrap().len()
        ),
        before
    );
    assert!(w.store.winners().await.unwrap().is_empty());
    assert_eq!(w.store.pull(w.b.user.id, 0, 10).await.unwrap().next, 0);

    let imported = w
        .store
        .import(vec![good.clone()], now_hlc(), now)
        .await
        .unwrap();
    assert_eq!(
        (imported.created, imported.assigned, imported.fields),
        (1, 1, 3)
    );
    assert!(imported.kept.is_empty());
    let pulled = w.store.pull(w.a.user.id, 0, 100).await.unwrap();
    let of_donghu: Vec<_> = pulled
        .changes
        .iter()
        .filter(|p| p.change.community == donghu.id)
        .collect();
    assert_eq!(of_donghu.len(), 3);
    assert!(of_donghu.iter().all(|p| p.change.device == SERVER_DEVICE
        && p.change.entity == donghu.id
        && p.change.kind == buqi_schema::record::EntityKind::Community));

    // Again: nothing at all.
    let audited = w.store.audit().await.unwrap().len();
    let again = w
        .store
        .import(vec![good.clone()], now_hlc(), now)
        .await
        .unwrap();
    assert_eq!((again.created, again.assigned, again.fields), (0, 0, 0));
    assert_eq!(w.store.audit().await.unwrap().len(), audited);
    assert_eq!(w.store.pull(w.a.user.id, 0, 100).await.unwrap(), pulled);

    // A surveyor corrects the district; a list with the old or another one does not undo it.
    let district = of_donghu
        .iter()
        .find(|p| p.change.field == "district")
        .unwrap();
    let correction = Change {
        kind: buqi_schema::record::EntityKind::Community,
        ..change(
            donghu.id,
            donghu.id,
            "district",
            json!("洪山区"),
            now_hlc(),
            w.a.device,
            Some(district.change.stamp()),
        )
    };
    push(&w.store, &w.a, &[correction]).await;
    let later = w
        .store
        .import(
            vec![ImportRow {
                fields: fields("江夏区"),
                ..good
            }],
            now_hlc(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(later.fields, 0);
    assert_eq!(later.kept.len(), 1);
    assert_eq!(
        (
            later.kept[0].field.as_str(),
            &later.kept[0].held,
            &later.kept[0].listed
        ),
        ("district", &json!("洪山区"), &json!("江夏区"))
    );
    let winner = w
        .store
        .winners()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.entity == donghu.id && x.field == "district")
        .unwrap();
    assert_eq!(winner.state.value, json!("洪山区"));
    // The server's device id is not a tablet's to enroll.
    let code = code_for(&w.store, "张三").await;
    let err = w
        .store
        .enroll(&code_hash(&code), SERVER_DEVICE, "x", "h", Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DeviceTaken { .. }), "{err}");
}
