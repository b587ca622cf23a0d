//! The administration commands as the office runs them: the real `buqi` binary on a SQLite file.

mod common;

use buqi_server::secret::{code_hash, verify_password};
use buqi_server::store::Store;
use chrono::Utc;
use common::*;
use uuid::Uuid;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_office_sets_up_users_communities_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("office.db").display());
    let db = db.as_str();

    let out = buqi(
        &[
            "user",
            "add",
            "张三",
            "--role",
            "surveyor",
            "--city",
            "武汉",
            "--password-stdin",
            "--database",
            db,
        ],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("added user 张三 (surveyor, 武汉), id "));
    let again = buqi(
        &[
            "user",
            "add",
            "张三",
            "--role",
            "office",
            "--city",
            "武汉",
            "--database",
            db,
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already a user named \"张三\""),
        "{}",
        text(&again.stderr)
    );
    let bad_role = buqi(
        &[
            "user",
            "add",
            "王五",
            "--role",
            "mayor",
            "--city",
            "武汉",
            "--database",
            db,
        ],
        None,
    );
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(
        text(&bad_role.stderr).contains("unknown role"),
        "{}",
        text(&bad_role.stderr)
    );
    let short = buqi(
        &[
            "user",
            "add",
            "王五",
            "--role",
            "office",
            "--city",
            "武汉",
            "--password-stdin",
            "--database",
            db,
        ],
        Some("short\n"),
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(text(&short.stderr).contains("at least 8 characters"));

    let id = Uuid::now_v7();
    let out = buqi_ok(&[
        "community",
        "add",
        "--name",
        "百步亭社区",
        "--city",
        "武汉",
        "--id",
        &id.to_string(),
        "--database",
        db,
    ]);
    assert!(out.contains(&id.to_string()), "{out}");
    let out = buqi_ok(&["assign", "张三", "百步亭社区", "--database", db]);
    assert!(out.contains("assigned community 百步亭社区"), "{out}");
    let nobody = buqi(&["assign", "王五", "百步亭社区", "--database", db], None);
    assert_eq!(nobody.status.code(), Some(1));
    assert!(text(&nobody.stderr).contains("no user named \"王五\""));
    // A community of another city is refused, saying why, and nothing is assigned.
    buqi_ok(&[
        "community",
        "add",
        "--name",
        "外滩社区",
        "--city",
        "上海",
        "--database",
        db,
    ]);
    let elsewhere = buqi(&["assign", "张三", "外滩社区", "--database", db], None);
    assert_eq!(elsewhere.status.code(), Some(1));
    let said = text(&elsewhere.stderr);
    assert!(
        said.contains("张三")
            && said.contains("武汉")
            && said.contains("上海")
            && said.contains("only communities of their own city"),
        "{said}"
    );

    let out = buqi_ok(&[
        "device",
        "enroll",
        "--user",
        "张三",
        "--server",
        "https://buqi.wuhan.example",
        "--database",
        db,
    ]);
    let code = out
        .lines()
        .find_map(|l| l.strip_prefix("code:"))
        .unwrap()
        .trim()
        .to_owned();
    let payload: serde_json::Value = serde_json::from_str(
        out.lines()
            .find_map(|l| l.strip_prefix("payload:"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(payload["server"], "https://buqi.wuhan.example");
    assert_eq!(payload["code"], code.as_str());
    assert!(
        out.contains('█') || out.contains('▀') || out.contains('▄'),
        "no QR code drawn:\n{out}"
    );
    let unknown = buqi(
        &["device", "enroll", "--user", "王五", "--database", db],
        None,
    );
    assert_eq!(unknown.status.code(), Some(1));

    // The code enrolls a device (the same check POST /v1/enroll makes).
    let store = Store::open(db).await.unwrap();
    let device = Uuid::now_v7();
    let enrolled = store
        .enroll(
            &code_hash(&code),
            device,
            "张三的平板",
            "token-hash",
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(enrolled.communities.len(), 1, "外滩社区 was not assigned");
    assert_eq!(enrolled.communities[0].id, id);
    let kept = store.password_hash("张三").await.unwrap().unwrap();
    assert!(kept.starts_with("$argon2id$") && verify_password("correct horse battery", &kept));
    drop(store);

    let out = buqi_ok(&["device", "list", "--database", db]);
    assert!(
        out.contains(&device.to_string()) && out.contains("active"),
        "{out}"
    );
    let out = buqi_ok(&["device", "revoke", &device.to_string(), "--database", db]);
    assert!(out.contains("revoked device"), "{out}");
    let out = buqi_ok(&["device", "list", "--user", "张三", "--database", db]);
    assert!(out.contains("revoked 20"), "{out}");
    let missing = buqi(
        &[
            "device",
            "revoke",
            &Uuid::now_v7().to_string(),
            "--database",
            db,
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("there is no device"));
}

#[test]
fn serve_refuses_a_database_it_cannot_use() {
    let out = buqi(
        &[
            "serve",
            "--database",
            "mysql://office@db/buqi",
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("sqlite:PATH or postgres://"),
        "{}",
        text(&out.stderr)
    );
    let out = buqi(
        &[
            "serve",
            "--database",
            "postgres://nobody@127.0.0.1:1/none",
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot open the database postgres://nobody@127.0.0.1:1/none"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_says_where_it_listens_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("buqi.db").display());
    let photos = dir.path().join("photos");
    let mut server = ServerProcess::start(&db);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(common::http::Client::new(server.addr).get("/v1/health"));
    assert_eq!(health.status, 200);
    server.kill();
    // --photos makes its directory.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_buqi"))
        .args([
            "serve",
            "--database",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--photos",
        ])
        .arg(&photos)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(
        line.starts_with("buqi serve: listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(photos.is_dir());
    // SIGTERM stops it cleanly.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "buqi serve: stopped\n");
}
