//! Protocol v1 over real HTTP on 127.0.0.1: a server in this process (on a SQLite file), spoken
//! to with raw HTTP/1.1.

mod common;

use std::collections::BTreeSet;

use buqi_schema::change::{Change, Hlc};
use buqi_schema::merge::{Admitted, Replica};
use buqi_server::serve::{Config, ROUTES};
use common::http::{send, Client, Response};
use common::*;
use serde_json::{json, Value};
use uuid::Uuid;

struct Running {
    _db: TestDb,
    world: World,
    anonymous: Client,
    a: Client,
    b: Client,
}

async fn running(config: Config) -> Running {
    let db = TestDb::sqlite();
    let world = world(db.store().await).await;
    let addr = start_server(world.store.clone(), config).await;
    let anonymous = Client::new(addr);
    let a = anonymous.with_token(&world.token_a);
    let b = anonymous.with_token(&world.token_b);
    Running {
        _db: db,
        world,
        anonymous,
        a,
        b,
    }
}

/// Asserts an error answer: status, code, and (if given) the field it names.
fn assert_error(r: &Response, status: u16, code: &str, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.error_code(), code, "{}", r.json());
    assert_eq!(r.error_field().as_deref(), field, "{}", r.json());
    assert!(!r.error_message().is_empty());
    assert_eq!(r.header("content-type"), Some("application/json"));
}

async fn pull_everything(client: &Client) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let r = client
            .get(&format!("/v1/changes?after={after}&limit=1000"))
            .await;
        assert_eq!(r.status, 200, "{}", r.json());
        let page = r.json();
        let changes = page["changes"].as_array().unwrap().clone();
        let n = changes.len();
        out.extend(changes);
        after = page["next"].as_i64().unwrap();
        if n < 1000 {
            return out;
        }
    }
}

#[tokio::test]
async fn health_answers() {
    let s = running(Config::default()).await;
    let r = s.anonymous.get("/v1/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.json()["protocol"], 1);
    assert_eq!(r.json()["database"], "sqlite");
}

#[tokio::test]
async fn enroll_push_pull_round_trip() {
    let s = running(Config::default()).await;
    let code = code_for(&s.world.store, "张三").await;
    let device = Uuid::now_v7();
    let r = s
        .anonymous
        .post(
            "/v1/enroll",
            &json!({"code": code.to_lowercase(), "device": device, "name": "张三的新平板"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json());
    let enrolled = r.json();
    let token = enrolled["token"].as_str().unwrap();
    assert!(token.starts_with("bq1_") && token.len() == 68, "{token}");
    assert_eq!(enrolled["user"]["name"], "张三");
    assert_eq!(enrolled["role"], "surveyor");
    assert_eq!(enrolled["communities"][0]["id"], json!(s.world.baibuting));
    assert_eq!(enrolled["communities"][0]["name"], "百步亭社区");
    let me = s.anonymous.with_token(token);

    let facility = Uuid::now_v7();
    let changes = vec![
        change(
            s.world.baibuting,
            facility,
            "name",
            json!("社区卫生服务站"),
            at(1),
            device,
            None,
        ),
        change(
            s.world.baibuting,
            facility,
            "building_area_m2",
            json!(120.5),
            at(2),
            device,
            None,
        ),
    ];
    let batch = Uuid::now_v7();
    let r = me.post("/v1/changes", &push_body(batch, &changes)).await;
    assert_eq!(r.status, 200, "{}", r.json());
    assert_eq!(
        r.json(),
        json!({"accepted": 2, "duplicates": 0, "last_seq": 2})
    );

    // Another surveyor of the community pulls them.
    let r = s.b.get("/v1/changes?after=0&limit=1").await;
    assert_eq!(r.status, 200);
    let page = r.json();
    assert_eq!(page["changes"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], 1);
    let r = s.b.get("/v1/changes?after=1").await;
    let rest = r.json();
    assert_eq!(rest["next"], 2);
    let pulled: Vec<Change> = [&page, &rest]
        .iter()
        .flat_map(|p| p["changes"].as_array().unwrap().clone())
        .map(|c| {
            assert!(c.get("capped_from").is_none());
            serde_json::from_value(c["change"].clone()).unwrap()
        })
        .collect();
    assert_eq!(pulled, changes);
    let communities: BTreeSet<String> = rest["communities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        communities,
        BTreeSet::from(["百步亭社区".into(), "水果湖社区".into()])
    );
    // The audit log names the user, device and batch.
    let audit = s.world.store.audit().await.unwrap();
    let lines: Vec<_> = audit.iter().filter(|a| a.action == "change").collect();
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|a| a.device == Some(device) && a.batch == Some(batch)));
}

#[tokio::test]
async fn enrollment_errors_say_what_to_do() {
    let s = running(Config::default()).await;
    let code = code_for(&s.world.store, "张三").await;
    let body = |code: &str| json!({"code": code, "device": Uuid::now_v7(), "name": "平板"});
    assert_eq!(
        s.anonymous.post("/v1/enroll", &body(&code)).await.status,
        200
    );
    let r = s.anonymous.post("/v1/enroll", &body(&code)).await;
    assert_error(&r, 401, "code_used", Some("code"));
    assert!(
        r.error_message().contains("already used"),
        "{}",
        r.error_message()
    );
    let r = s
        .anonymous
        .post("/v1/enroll", &body("AAAA-BBBB-CCCC-DDDD"))
        .await;
    assert_error(&r, 401, "bad_code", Some("code"));
    let fresh = code_for(&s.world.store, "张三").await;
    let r = s
        .anonymous
        .post(
            "/v1/enroll",
            &json!({"code": fresh, "device": Uuid::now_v7(), "name": "  "}),
        )
        .await;
    assert_error(&r, 400, "bad_value", Some("name"));
    let r = s
        .anonymous
        .post(
            "/v1/enroll",
            &json!({"code": fresh, "device": "tablet-1", "name": "x"}),
        )
        .await;
    assert_error(&r, 400, "bad_value", Some("device"));
    let r = s
        .anonymous
        .post(
            "/v1/enroll",
            &json!({"code": fresh, "device": s.world.b.device, "name": "x"}),
        )
        .await;
    assert_error(&r, 409, "device_taken", Some("device"));
    // The refused attempts did not use the code up.
    assert_eq!(
        s.anonymous.post("/v1/enroll", &body(&fresh)).await.status,
        200
    );
}

#[tokio::test]
async fn a_replayed_batch_changes_nothing() {
    let s = running(Config::default()).await;
    let facility = Uuid::now_v7();
    let changes: Vec<Change> = (0..5)
        .map(|i| {
            change(
                s.world.baibuting,
                facility,
                &format!("f{i}"),
                json!(i),
                at(i),
                s.world.a.device,
                None,
            )
        })
        .collect();
    let body = push_body(Uuid::now_v7(), &changes);
    let first = s.a.post("/v1/changes", &body).await;
    assert_eq!(
        first.json(),
        json!({"accepted": 5, "duplicates": 0, "last_seq": 5})
    );
    let before = pull_everything(&s.b).await;
    for _ in 0..3 {
        let again = s.a.post("/v1/changes", &body).await;
        assert_eq!(
            again.json(),
            json!({"accepted": 0, "duplicates": 5, "last_seq": 5})
        );
    }
    assert_eq!(pull_everything(&s.b).await, before);
    let audited = s
        .world
        .store
        .audit()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "change")
        .count();
    assert_eq!(audited, 5);
}

#[tokio::test]
async fn one_bad_change_refuses_the_batch_and_is_named() {
    let s = running(Config::default()).await;
    let good = |i: u64| {
        change(
            s.world.baibuting,
            Uuid::now_v7(),
            "name",
            json!(i),
            at(i),
            s.world.a.device,
            None,
        )
    };
    let held = good(0);
    s.a.post(
        "/v1/changes",
        &push_body(Uuid::now_v7(), std::slice::from_ref(&held)),
    )
    .await;
    let before = pull_everything(&s.b).await;

    // A clock reading that is not one, at index 2.
    let mut body = push_body(Uuid::now_v7(), &[good(1), good(2), good(3)]);
    body["changes"][2]["hlc"] = json!("yesterday");
    let r = s.a.post("/v1/changes", &body).await;
    assert_error(&r, 400, "bad_hlc", Some("changes[2].hlc"));
    assert!(
        r.error_message().contains("16 hex digits"),
        "{}",
        r.error_message()
    );
    // An unknown field.
    let mut body = push_body(Uuid::now_v7(), &[good(4), good(5)]);
    body["changes"][1]["colour"] = json!("red");
    let r = s.a.post("/v1/changes", &body).await;
    assert_eq!(r.error_code(), "unknown_field");
    assert!(
        r.error_field().unwrap().starts_with("changes[1]"),
        "{}",
        r.json()
    );
    assert!(r.error_message().contains("colour"));
    // A held stamp with another value.
    let mut forged = held.clone();
    forged.value = json!("forged");
    let r =
        s.a.post(
            "/v1/changes",
            &push_body(Uuid::now_v7(), &[good(6), forged]),
        )
        .await;
    assert_error(&r, 409, "stamp_reused", Some("changes[1].hlc"));
    assert!(r
        .error_message()
        .contains("nothing in this batch was applied"));
    // A community not assigned: 403 naming it.
    let mut elsewhere = good(7);
    elsewhere.community = s.world.nanhu;
    let r =
        s.a.post(
            "/v1/changes",
            &push_body(Uuid::now_v7(), &[good(8), good(9), elsewhere]),
        )
        .await;
    assert_error(&r, 403, "forbidden_community", Some("changes[2].community"));
    assert!(
        r.error_message().contains(&s.world.nanhu.to_string()),
        "{}",
        r.error_message()
    );
    // Another device's change.
    let mut theirs = good(10);
    theirs.device = s.world.b.device;
    let r =
        s.a.post("/v1/changes", &push_body(Uuid::now_v7(), &[theirs]))
            .await;
    assert_error(&r, 403, "wrong_device", Some("changes[0].device"));
    // An empty field name.
    let mut nameless = good(11);
    nameless.field = String::new();
    let r =
        s.a.post("/v1/changes", &push_body(Uuid::now_v7(), &[nameless]))
            .await;
    assert_error(&r, 400, "bad_field", Some("changes[0].field"));

    assert_eq!(
        pull_everything(&s.b).await,
        before,
        "refused batches applied something"
    );
}

#[tokio::test]
async fn unauthenticated_forbidden_and_revoked_requests_are_refused() {
    let s = running(Config::default()).await;
    let batch = push_body(Uuid::now_v7(), &[]);
    let r = s.anonymous.post("/v1/changes", &batch).await;
    assert_error(&r, 401, "unauthenticated", None);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = s.anonymous.get("/v1/changes").await;
    assert_error(&r, 401, "unauthenticated", None);
    let raw = format!(
        "GET /v1/changes HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic {}\r\n\r\n",
        s.world.token_a
    );
    let r = send(s.anonymous.addr, raw.into_bytes()).await.unwrap();
    assert_error(&r, 401, "unauthenticated", None);
    let r = s.anonymous.with_token("bq1_0000").get("/v1/changes").await;
    assert_error(&r, 401, "bad_token", None);
    // Revoked: a clear message.
    assert_eq!(s.a.post("/v1/changes", &batch).await.status, 200);
    s.world
        .store
        .revoke_device(s.world.a.device, chrono::Utc::now())
        .await
        .unwrap();
    for r in [
        s.a.post("/v1/changes", &batch).await,
        s.a.get("/v1/changes").await,
    ] {
        assert_error(&r, 401, "device_revoked", None);
        assert!(
            r.error_message().contains("revoked by the office"),
            "{}",
            r.error_message()
        );
    }
    assert_eq!(
        s.b.get("/v1/changes").await.status,
        200,
        "only that device is refused"
    );
}

/// An office reaches only its own city: a community of another city, even one assigned before
/// that was enforced, is neither pulled nor pushed (403 naming both cities).
#[tokio::test]
async fn an_office_device_is_refused_another_citys_community() {
    let s = running(Config::default()).await;
    let store = &s.world.store;
    let now = chrono::Utc::now();
    store
        .add_user(
            "王科长",
            buqi_server::protocol::Role::Office,
            CITY,
            None,
            now,
        )
        .await
        .unwrap();
    let bund = Uuid::now_v7();
    store
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
    let (office, token) = enroll(store, "王科长", "科长的平板").await;
    s._db.legacy_assign(office.user.id, bund).await;
    store.assign("王科长", "百步亭社区", now).await.unwrap();
    let client = s.anonymous.with_token(&token);
    let r = client.get("/v1/changes").await;
    assert_eq!(r.status, 200, "{}", r.json());
    let ids: Vec<Value> = r.json()["communities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, [json!(s.world.baibuting)]);
    let own = change(
        s.world.baibuting,
        Uuid::now_v7(),
        "name",
        json!("a"),
        at(1),
        office.device,
        None,
    );
    let there = change(
        bund,
        Uuid::now_v7(),
        "name",
        json!("b"),
        at(2),
        office.device,
        None,
    );
    let r = client
        .post("/v1/changes", &push_body(Uuid::now_v7(), &[own, there]))
        .await;
    assert_error(&r, 403, "other_city", Some("changes[1].community"));
    let message = r.error_message();
    assert!(
        message.contains("上海") && message.contains("武汉"),
        "{message}"
    );
    assert!(
        pull_everything(&client).await.is_empty(),
        "nothing was applied"
    );
}

#[tokio::test]
async fn a_device_over_its_rate_is_told_to_wait() {
    let config = Config {
        device_requests_per_second: 1,
        device_burst: 3,
        ..Config::default()
    };
    let s = running(config).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = s.a.get("/v1/changes?after=0").await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_error(&r, 429, "rate_limited", None);
            assert!(
                r.error_message().contains("wait a few seconds"),
                "{}",
                r.error_message()
            );
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    // Another device is not held up by this one.
    let r = s.b.get("/v1/changes?after=0").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn too_large_requests_are_413() {
    let config = Config {
        max_body_bytes: 64 * 1024,
        max_batch: 10,
        ..Config::default()
    };
    let s = running(config).await;
    let big = json!({"batch": Uuid::now_v7(), "changes": [], "pad": "x".repeat(100 * 1024)});
    let r = s.a.post("/v1/changes", &big).await;
    assert_error(&r, 413, "body_too_large", None);
    assert!(r.error_message().contains("65536"), "{}", r.error_message());
    let r = s.anonymous.post("/v1/enroll", &big).await;
    assert_error(&r, 413, "body_too_large", None);
    let changes: Vec<Change> = (0..11)
        .map(|i| {
            change(
                s.world.baibuting,
                Uuid::now_v7(),
                "name",
                json!(i),
                at(i),
                s.world.a.device,
                None,
            )
        })
        .collect();
    let r =
        s.a.post("/v1/changes", &push_body(Uuid::now_v7(), &changes))
            .await;
    assert_error(&r, 413, "too_many_changes", Some("changes"));
    let r =
        s.a.post("/v1/changes", &push_body(Uuid::now_v7(), &changes[..10]))
            .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong() {
    let s = running(Config::default()).await;
    let r = s.a.post_bytes("/v1/changes", b"{\"batch\": ").await;
    assert_error(&r, 400, "bad_json", Some("batch"));
    let r = s.a.post_bytes("/v1/changes", b"").await;
    assert_error(&r, 400, "bad_json", None);
    let r =
        s.a.post_bytes(
            "/v1/changes",
            b"{\"batch\":\"0190c3a0-0000-7000-8000-0000000000aa\",\"changes\":[]} {}",
        )
        .await;
    assert_error(&r, 400, "bad_json", None);
    let r = s.a.post("/v1/changes", &json!({"changes": []})).await;
    assert_error(&r, 400, "missing_field", None);
    assert!(r.error_message().contains("batch"));
    let r =
        s.a.post("/v1/changes", &json!({"batch": "later", "changes": []}))
            .await;
    assert_error(&r, 400, "bad_value", Some("batch"));
    let r =
        s.a.post(
            "/v1/changes",
            &json!({"batch": Uuid::now_v7(), "changes": {}}),
        )
        .await;
    assert_error(&r, 400, "bad_value", Some("changes"));
    let r = s.a.get("/v1/changes?after=-3").await;
    assert_error(&r, 400, "bad_parameter", Some("after"));
    let r = s.a.get("/v1/changes?limit=100000").await;
    assert_error(&r, 400, "bad_parameter", Some("limit"));
    let r = s.a.get("/v1/changes?since=4").await;
    assert_error(&r, 400, "unknown_parameter", Some("since"));
    let r = s.a.get("/v1/changes?after=99").await;
    assert_error(&r, 409, "cursor_ahead", Some("after"));
    let r = s.a.get("/v2/changes").await;
    assert_error(&r, 404, "no_such_route", None);
    assert!(r.error_message().contains("POST /v1/changes"));
    let r = request_raw(
        &s,
        "DELETE /v1/changes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_error(&r, 405, "method_not_allowed", None);
}

async fn request_raw(s: &Running, text: &str) -> Response {
    send(s.anonymous.addr, text.as_bytes().to_vec())
        .await
        .unwrap()
}

/// Two surveyors edit the same fields from the same values over HTTP; the server's conflicts and
/// winners are a replica's fed the same changes, and one far ahead is capped, with its original
/// reading kept.
#[tokio::test]
async fn conflicts_over_http_equal_a_replicas_and_caps_are_recorded() {
    let s = running(Config::default()).await;
    let w = &s.world;
    let facility = Uuid::now_v7();
    let first = change(
        w.baibuting,
        facility,
        "name",
        json!("卫生站"),
        at(10),
        w.a.device,
        None,
    );
    let area = change(
        w.baibuting,
        facility,
        "area",
        json!(100),
        at(11),
        w.a.device,
        None,
    );
    let by_a = vec![
        change(
            w.baibuting,
            facility,
            "name",
            json!("社区卫生站"),
            at(20),
            w.a.device,
            Some(first.stamp()),
        ),
        change(
            w.baibuting,
            facility,
            "area",
            json!(120),
            at(21),
            w.a.device,
            Some(area.stamp()),
        ),
    ];
    let by_b = vec![
        change(
            w.baibuting,
            facility,
            "name",
            json!("社区卫生服务站"),
            at(22),
            w.b.device,
            Some(first.stamp()),
        ),
        change(
            w.baibuting,
            facility,
            "area",
            json!(130),
            at(19),
            w.b.device,
            Some(area.stamp()),
        ),
    ];
    let mut reference = Replica::new();
    for (client, batch) in [(&s.a, vec![first, area]), (&s.b, by_b), (&s.a, by_a)] {
        let r = client
            .post("/v1/changes", &push_body(Uuid::now_v7(), &batch))
            .await;
        assert_eq!(r.status, 200, "{}", r.json());
        for c in &batch {
            reference.apply(c).unwrap();
        }
    }
    let conflicts = w.store.conflicts().await.unwrap();
    assert_eq!(conflicts.len(), 2);
    assert_eq!(conflicts, reference.conflicts());
    for x in w.store.winners().await.unwrap() {
        assert_eq!(
            Some(x.state),
            reference.field(x.entity, &x.field),
            "{}",
            x.field
        );
    }

    // A tablet with its clock a year ahead.
    let year_ahead = Hlc(now_hlc().0 + ((365 * 86_400u64) << 32));
    let ahead = change(
        w.baibuting,
        facility,
        "name",
        json!("未来"),
        year_ahead,
        w.b.device,
        None,
    );
    let r =
        s.b.post(
            "/v1/changes",
            &push_body(Uuid::now_v7(), std::slice::from_ref(&ahead)),
        )
        .await;
    assert_eq!(r.json()["accepted"], 1);
    let pulled = pull_everything(&s.a).await;
    let last = pulled.last().unwrap();
    assert_eq!(last["capped_from"], json!(year_ahead));
    let capped = Hlc::from_hex(last["change"]["hlc"].as_str().unwrap()).unwrap();
    // The server's now (to the fraction of a second) plus an hour.
    let bound = now_hlc().0 + (3601u64 << 32);
    assert!(
        capped.0 <= bound && capped.0 > bound - (60 << 32),
        "capped to {capped}"
    );
    // A device that pulls everything holds the server's merge.
    let mut device = Replica::new();
    for p in &pulled {
        device
            .apply_admitted(&Admitted {
                change: serde_json::from_value(p["change"].clone()).unwrap(),
                capped_from: serde_json::from_value(p["capped_from"].clone()).unwrap_or(None),
            })
            .unwrap();
    }
    assert_eq!(device.conflicts(), w.store.conflicts().await.unwrap());
    assert_eq!(device.field(facility, "name").unwrap().value, json!("未来"));
}

/// Garbage, truncations and mutations of good requests: every answer is a JSON error (4xx) or a
/// success, never a 5xx or a dropped connection, and the server keeps serving.
#[tokio::test]
async fn no_input_breaks_the_server() {
    let s = running(Config::default()).await;
    let mut rng = Rng::from_time("no_input_breaks_the_server");
    let good_push = push_body(
        Uuid::now_v7(),
        &[change(
            s.world.baibuting,
            Uuid::now_v7(),
            "name",
            json!("x"),
            at(1),
            s.world.a.device,
            None,
        )],
    )
    .to_string()
    .into_bytes();
    let good_enroll = json!({"code": "AAAA-BBBB-CCCC-DDDD", "device": Uuid::now_v7(), "name": "x"})
        .to_string()
        .into_bytes();
    let pieces: [&[u8]; 12] = [
        b"null",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\u0000",
        b"1e999",
        b"-",
        b"\xff\xfe",
        b",",
        b"\"_deleted\"",
    ];
    for round in 0..400 {
        let (path, base) = if round % 3 == 0 {
            ("/v1/enroll", &good_enroll)
        } else {
            ("/v1/changes", &good_push)
        };
        let mut body = base.clone();
        match rng.below(4) {
            0 => body.truncate(rng.below(body.len() as u64) as usize),
            1 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(body.len() as u64) as usize;
                    body[i] = rng.below(256) as u8;
                }
            }
            2 => {
                let i = rng.below(body.len() as u64) as usize;
                let piece = pieces[rng.below(pieces.len() as u64) as usize];
                body.splice(i..i, piece.iter().copied());
            }
            _ => body = (0..rng.below(200)).map(|_| rng.below(256) as u8).collect(),
        }
        let r = s.a.post_bytes(path, &body).await;
        assert!(
            r.status == 200 || (400..500).contains(&r.status),
            "status {} for {:?}: {}",
            r.status,
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&r.body)
        );
        if r.status != 200 {
            r.error_code();
        }
        let query: String = (0..rng.below(30))
            .map(|_| b"after=limit&%0x-9AZ?#"[rng.below(21) as usize] as char)
            .collect();
        let r = s.a.get(&format!("/v1/changes?{query}")).await;
        assert!(
            r.status == 200 || (400..500).contains(&r.status),
            "{query}: {}",
            r.status
        );
    }
    assert_eq!(s.anonymous.get("/v1/health").await.status, 200);
}

/// docs/openapi.yaml describes exactly the routes the server has, and docs/sync-protocol.md
/// names each.
#[tokio::test]
async fn the_openapi_file_lists_every_route() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let yaml = std::fs::read_to_string(root.join("docs/openapi.yaml")).unwrap();
    let mut documented = BTreeSet::new();
    let mut path: Option<String> = None;
    let mut in_paths = false;
    for line in yaml.lines() {
        if !line.starts_with(' ') {
            in_paths = line.trim_end() == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let key = line.trim().trim_end_matches(':');
        if indent == 2 && key.starts_with('/') {
            path = Some(key.to_owned());
        } else if indent == 4 && ["get", "post", "put", "delete", "patch", "head"].contains(&key) {
            documented.insert((key.to_uppercase(), path.clone().unwrap()));
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);
    let doc = std::fs::read_to_string(root.join("docs/sync-protocol.md")).unwrap();
    for (method, path) in ROUTES {
        assert!(
            doc.contains(&format!("{method} {path}")),
            "{method} {path} not in the doc"
        );
    }
    // And every route answers something other than "no such route".
    let s = running(Config::default()).await;
    for (method, path) in ROUTES {
        let r = request_raw(
            &s,
            &format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
        )
        .await;
        assert_ne!(r.status, 404, "{method} {path}");
    }
}
