//! Tests of the real window: the built `buqi-app` under Xvfb, driven through tauri-driver and
//! WebKitWebDriver (thirtyfour), syncing to a real `buqi serve` on loopback.
//!
//! They run when `BUQI_WINDOW_TESTS=1` (scripts/window-test.sh sets it, installs what they need
//! and runs them under xvfb-run); otherwise each says it did not run. Each test has its own
//! tauri-driver on free ports and its own `XDG_DATA_HOME`, so its store starts empty. Screenshots
//! of each screen go to target/window-artifacts/ for a person to look at.
#![cfg(feature = "window")]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;
use uuid::Uuid;

fn enabled() -> bool {
    if std::env::var("BUQI_WINDOW_TESTS").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("window tests did not run: run scripts/window-test.sh (it sets BUQI_WINDOW_TESTS=1)");
    false
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("window-artifacts"))
        .unwrap_or_else(|| repo().join("target/window-artifacts"));
    std::fs::create_dir_all(&dir).expect("create target/window-artifacts");
    dir
}

fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_buqi-app"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops a child politely: tauri-driver must get SIGTERM to stop its WebKitWebDriver (SIGKILL
/// leaves that holding its port), and `buqi serve` stops cleanly on it too.
fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

// ---- the server ------------------------------------------------------------------------------

/// A real `buqi serve` on SQLite in a temporary folder, with a surveyor and an assigned community.
struct Server {
    child: Child,
    dir: tempfile::TempDir,
    url: String,
    community: Uuid,
}

impl Drop for Server {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

fn buqi_binary() -> PathBuf {
    let path = app_binary().with_file_name("buqi");
    assert!(
        path.exists(),
        "{} is missing: build the server first (cargo build -p buqi-server; scripts/window-test.sh does)",
        path.display()
    );
    path
}

impl Server {
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(buqi_binary())
            .args(args)
            .env(
                "BUQI_DATABASE",
                format!("sqlite:{}", self.dir.path().join("buqi.db").display()),
            )
            .output()
            .expect("run buqi");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "buqi {args:?} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite:{}", dir.path().join("buqi.db").display());
        let mut child = Command::new(buqi_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--photos"])
            .arg(dir.path().join("photos"))
            .env("BUQI_DATABASE", &db)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start buqi serve");
        // The server prints the address it took (port 0: any free port, no race).
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line)
            .expect("read buqi serve's first line");
        // Keep reading what it prints, or its next line would fail on a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("buqi serve did not say where it listens: {line:?}"))
            .to_owned();
        let mut server = Server {
            child,
            dir,
            url,
            community: Uuid::nil(),
        };
        server.cli(&[
            "user", "add", "张三", "--role", "surveyor", "--city", "武汉",
        ]);
        let added = server.cli(&[
            "community",
            "add",
            "--name",
            "百步亭花园社区",
            "--city",
            "武汉",
        ]);
        server.community = added
            .split(|c: char| c.is_whitespace() || c == ',' || c == ')')
            .find_map(|w| Uuid::parse_str(w).ok())
            .unwrap_or_else(|| panic!("no id in {added:?}"));
        server.cli(&["assign", "张三", &server.community.to_string()]);
        server
    }

    /// A one-time enrollment code for another of 张三's tablets.
    fn code(&self) -> String {
        let out = self.cli(&[
            "device", "enroll", "--user", "张三", "--server", &self.url, "--no-qr",
        ]);
        out.lines()
            .find_map(|l| l.strip_prefix("code:"))
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| panic!("no code in {out:?}"))
    }
}

// ---- the window ------------------------------------------------------------------------------

/// tauri-driver with its own ports and data folder, and a WebDriver session of the app.
struct Window {
    driver: WebDriver,
    tauri_driver: Child,
    _data: tempfile::TempDir,
}

/// A test that fails mid-way still stops its tauri-driver, and with it WebKitWebDriver and the app.
impl Drop for Window {
    fn drop(&mut self) {
        terminate(&mut self.tauri_driver);
    }
}

impl Window {
    async fn open(args: &[&str]) -> Window {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: the window tests need an X server (run them with xvfb-run, as scripts/window-test.sh does)"
        );
        // thirtyfour's reqwest shares the workspace's rustls, which needs its cryptography
        // chosen once per process (the app's sync client does the same).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data = tempfile::tempdir().expect("temp dir");
        let (port, native) = (free_port(), free_port());
        let tauri_driver =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .env("XDG_DATA_HOME", data.path())
                .stdout(Stdio::null())
                .spawn()
                .expect("start tauri-driver (cargo install tauri-driver --locked)");
        wait_for_port(port, "tauri-driver");
        wait_for_port(native, "WebKitWebDriver");
        let mut caps = Capabilities::new();
        caps.set("browserName", "wry").expect("capability");
        caps.set(
            "tauri:options",
            json!({"application": app_binary(), "args": args}),
        )
        .expect("capability");
        let driver = tokio::time::timeout(
            Duration::from_secs(60),
            WebDriver::new(format!("http://127.0.0.1:{port}"), caps),
        )
        .await
        .expect("the window did not open within 60 s")
        .expect("a WebDriver session of buqi-app");
        driver
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(120)),
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(2)),
            ))
            .await
            .expect("set timeouts");
        let window = Window {
            driver,
            tauri_driver,
            _data: data,
        };
        window.ready().await;
        window
    }

    /// Waits until the app's page has loaded and drawn its first heading: the session starts
    /// before the page does, and an invoke from a page still loading has no origin to call from.
    async fn ready(&self) {
        let script = "return { state: document.readyState, href: location.href, \
                      ipc: !!window.__TAURI_INTERNALS__, h1: document.querySelectorAll('h1').length, \
                      body: (document.body ? document.body.innerText : '').slice(0, 200) };";
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let page = self
                .driver
                .execute(script, vec![])
                .await
                .map(|v| v.json().clone());
            if let Ok(p) = &page {
                if p["state"] == "complete"
                    && p["ipc"] == true
                    && p["h1"].as_u64() > Some(0)
                    && !p["href"].as_str().unwrap_or("about:").starts_with("about:")
                {
                    return;
                }
            }
            if Instant::now() > deadline {
                self.screenshot("not-ready").await;
                panic!("the app's page did not load within 60 s: {page:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn close(self) {
        let _ = self.driver.clone().quit().await;
        // Dropping stops tauri-driver.
    }

    /// Calls a command through the window's own IPC, as the UI does; `Err` is the AppError.
    async fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let script = r#"
            const [cmd, args, done] = arguments;
            window.__TAURI_INTERNALS__.invoke(cmd, args)
                .then(v => done({ ok: v === undefined ? null : v }), e => done({ err: e }));
        "#;
        let answer = self
            .driver
            .execute_async(script, vec![json!(cmd), args])
            .await
            .unwrap_or_else(|e| panic!("invoke {cmd}: {e}"))
            .json()
            .clone();
        match answer.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(answer.get("err").cloned().unwrap_or(answer)),
        }
    }

    async fn ok(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{cmd}({args}) failed: {e}"),
        }
    }

    /// Sends a photo as the UI does: the raw bytes as the body, what it is of in headers.
    async fn add_photo(&self, bytes: &[u8], headers: Value) -> Result<Value, Value> {
        use base64::Engine;
        let script = r#"
            const [b64, headers, done] = arguments;
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            window.__TAURI_INTERNALS__.invoke('add_photo', bytes, { headers })
                .then(v => done({ ok: v }), e => done({ err: e }));
        "#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let answer = self
            .driver
            .execute_async(script, vec![json!(b64), headers])
            .await
            .expect("invoke add_photo")
            .json()
            .clone();
        match answer.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(answer.get("err").cloned().unwrap_or(answer)),
        }
    }

    /// Starts collecting an event's payloads in `window.__events[name]`.
    async fn listen(&self, event: &str) {
        let script = r#"
            const [event, done] = arguments;
            window.__events = window.__events || {};
            window.__events[event] = [];
            const handler = window.__TAURI_INTERNALS__.transformCallback(e => window.__events[event].push(e.payload));
            window.__TAURI_INTERNALS__.invoke('plugin:event|listen', { event, target: { kind: 'Any' }, handler })
                .then(() => done(true), e => done(String(e)));
        "#;
        let answer = self
            .driver
            .execute_async(script, vec![json!(event)])
            .await
            .expect("listen");
        assert_eq!(answer.json(), &json!(true), "listening to {event}");
    }

    async fn events(&self, event: &str) -> Vec<Value> {
        let v = self
            .driver
            .execute(
                "return (window.__events || {})[arguments[0]] || [];",
                vec![json!(event)],
            )
            .await
            .expect("read events")
            .json()
            .clone();
        v.as_array().cloned().unwrap_or_default()
    }

    /// Runs axe-core on the page and fails on serious or critical violations, naming each rule
    /// and the elements it found.
    async fn audit(&self, screen: &str) {
        let axe = axe_source();
        self.driver
            .execute(&axe, vec![])
            .await
            .expect("inject axe-core");
        let script = r#"
            const done = arguments[0];
            axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; ')}`)))
                .catch(e => done([`axe failed: ${e}`]));
        "#;
        let found = self
            .driver
            .execute_async(script, vec![])
            .await
            .expect("run axe-core")
            .json()
            .clone();
        let found: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        assert!(
            found.is_empty(),
            "axe-core on the {screen} screen:\n{}",
            found.join("\n")
        );
    }

    /// Saves what the window shows as target/window-artifacts/<name>.png.
    async fn screenshot(&self, name: &str) {
        let png = self.driver.screenshot_as_png().await.expect("screenshot");
        std::fs::write(artifacts().join(format!("{name}.png")), png).expect("save screenshot");
    }
}

/// axe-core from the UI's dev dependencies, or from where scripts/window-test.sh puts it.
fn axe_source() -> String {
    let candidates = [
        repo().join("ui/node_modules/axe-core/axe.min.js"),
        repo().join("target/window-tools/node_modules/axe-core/axe.min.js"),
    ];
    for c in &candidates {
        if let Ok(text) = std::fs::read_to_string(c) {
            return text;
        }
    }
    panic!("axe-core is missing: looked in {candidates:?} (scripts/window-test.sh installs it)");
}

fn gpx_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wuhan-block-walk.gpx")
}

/// A camera-like JPEG: 1200 × 900, a gradient (a flat image would compress to nothing).
fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 900, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out.into_inner()
}

fn item_status(evaluation: &Value, item: u64) -> String {
    evaluation["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item"] == item))
        .map(|i| i["status"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

fn check_statuses(evaluation: &Value, item: u64) -> Vec<(String, String)> {
    evaluation["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item"] == item))
        .and_then(|i| i["checks"].as_array())
        .map(|checks| {
            checks
                .iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap_or("").to_owned(),
                        c["status"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_until<F, Fut>(what: &str, secs: u64, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---- tests -----------------------------------------------------------------------------------

/// The window opens on its first screen, which has a heading and passes axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_on_a_screen_with_a_heading_that_passes_axe() {
    if !enabled() {
        return;
    }
    let w = Window::open(&[]).await;
    let h1 = w
        .driver
        .find(By::Css("h1"))
        .await
        .expect("an <h1> on the first screen");
    let text = h1.text().await.unwrap_or_default();
    assert!(!text.trim().is_empty(), "the first screen's <h1> is empty");
    let info = w.ok("app_info", json!({})).await;
    assert_eq!(info["enrolled"], Value::Null);
    assert_eq!(info["standard"]["id"], "complete-community");
    w.screenshot("01-first-screen").await;
    w.audit("first").await;
    w.close().await;
}

/// A surveyor's day through the window's own IPC: enroll, get the assigned community, survey
/// several items, a photo, a boundary walked from the replayed track, a ramp; the verdicts
/// change as the work goes in; sync; and a second tablet of the same surveyor pulls all of it
/// from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survey_made_in_the_window_reaches_the_server() {
    if !enabled() {
        return;
    }
    let server = Server::start();
    let w = Window::open(&[]).await;

    // Bad input comes back as an AppError naming what was wrong, in both languages.
    let e = w
        .invoke("item_view", json!({"community": "x", "item": 3}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "invalid_argument", "{e}");
    assert!(e["message_en"].as_str().unwrap().contains("\"x\""), "{e}");
    assert!(e["message_zh"].as_str().unwrap().contains("编号"), "{e}");
    let e = w.invoke("sync_now", json!({})).await.unwrap_err();
    assert_eq!(e["code"], "not_enrolled", "{e}");

    // Enroll with the office's code; the first sync brings the assigned community.
    let code = server.code();
    let enrolled = w
        .ok("enroll", json!({"server": server.url, "code": code}))
        .await;
    assert_eq!(enrolled["server"], server.url.as_str());
    let first = w.ok("sync_now", json!({})).await;
    assert_eq!(first["pushed"], 0, "{first}");
    let list = w.ok("communities", json!({})).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == server.community.to_string()),
        "the assigned community is on the tablet: {list}"
    );
    let community = server.community.to_string();

    // The community's own fields.
    w.ok("update_record", json!({"kind": "community", "id": community,
        "fields": {"kind": "existing", "households": 2400, "population": 7200, "district": "江岸区"}})).await;
    let before = w.ok("evaluation", json!({"community": community})).await;

    // Item 1: a community service station with its area (by tape) and rooms.
    let station = w
        .ok(
            "create_record",
            json!({"community": community, "kind": "facility",
        "fields": {"kind": "service_station", "name": "百步亭社区党群服务中心"}}),
        )
        .await;
    let station = station.as_str().unwrap().to_owned();
    let tape = w.ok("record_tape_area", json!({"community": community, "facility": station,
        "field": "building_area_m2", "rectangles": [{"length_m": 30.0, "width_m": 12.0}, {"length_m": 8.0, "width_m": 5.0}]})).await;
    assert_eq!(tape["area_m2"], 400.0, "{tape}");
    let e = w
        .invoke(
            "record_tape_area",
            json!({"community": community, "facility": station,
        "field": "building_area_m2", "rectangles": [{"length_m": -3.0, "width_m": 2.0}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(e["code"], "measure", "{e}");

    // Item 2: marked complete with no kindergarten it is a gap; the kindergarten and its
    // classes and areas change the checks' verdicts and lift the gap.
    w.ok(
        "update_record",
        json!({"kind": "community", "id": community, "fields": {"items.2.complete": true}}),
    )
    .await;
    let gap = w.ok("evaluation", json!({"community": community})).await;
    assert_eq!(
        item_status(&gap, 2),
        "gap",
        "item 2 complete with no kindergarten"
    );
    let kg = w
        .ok(
            "create_record",
            json!({"community": community, "kind": "facility",
        "fields": {"kind": "kindergarten", "name": "百步亭幼儿园"}}),
        )
        .await;
    let kg = kg.as_str().unwrap().to_owned();
    w.ok(
        "update_record",
        json!({"kind": "facility", "id": kg,
        "fields": {"classes": 9, "building_area_m2": 3600.0, "land_area_m2": 5400.0}}),
    )
    .await;
    let after = w.ok("evaluation", json!({"community": community})).await;
    assert_ne!(
        item_status(&after, 2),
        "gap",
        "the kindergarten lifts item 2's gap: {}",
        item_status(&after, 2)
    );
    assert_ne!(
        check_statuses(&before, 2),
        check_statuses(&after, 2),
        "item 2's checks change as the kindergarten is recorded"
    );
    let view = w
        .ok("item_view", json!({"community": community, "item": 2}))
        .await;
    assert_eq!(
        view["facilities"].as_array().map(Vec::len),
        Some(1),
        "{view}"
    );

    // Item 12: a ramp, assessed live, then recorded.
    let steep = w
        .ok(
            "ramp_assess",
            json!({"ramp": {"label": "3号楼入口", "rise_m": 0.45, "length_m": 3.0}}),
        )
        .await;
    let ok = w.ok("ramp_assess", json!({"ramp": {"label": "3号楼入口", "rise_m": 0.3, "length_m": 4.2, "clear_width_m": 1.2}})).await;
    let slope = |a: &Value| {
        a["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "running_slope")
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(slope(&steep), "not_met", "{steep}");
    assert_eq!(slope(&ok), "met", "{ok}");
    let e = w
        .invoke("ramp_assess", json!({"ramp": {"rise_m": "high"}}))
        .await
        .unwrap_err();
    assert!(
        e["message_en"].as_str().unwrap().starts_with("ramp.rise_m"),
        "{e}"
    );
    w.ok(
        "create_record",
        json!({"community": community, "kind": "ramp",
        "fields": {"label": "3号楼入口", "rise_m": 0.3, "length_m": 4.2, "clear_width_m": 1.2}}),
    )
    .await;

    // A photo of the kindergarten, as the UI sends it: raw bytes and headers.
    let photo = w
        .add_photo(
            &jpeg(),
            json!({"x-community": community, "x-item": "2", "x-facility": kg,
            "x-caption": "%E5%B9%BC%E5%84%BF%E5%9B%AD%E5%A4%A7%E9%97%A8"}),
        )
        .await
        .unwrap_or_else(|e| panic!("add_photo: {e}"));
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    assert_eq!(photo["new_image"], true);
    let caption = w
        .ok("record", json!({"kind": "photo", "id": photo["record"]}))
        .await;
    assert_eq!(caption["caption"], "幼儿园大门");
    let thumb = w.ok("photo_thumbnail", json!({"sha256": sha})).await;
    assert!(thumb
        .as_str()
        .unwrap()
        .starts_with("data:image/jpeg;base64,"));
    let e = w
        .add_photo(b"not an image", json!({"x-community": community}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "photo", "{e}");

    // The boundary, walked: the replayed GPX track arrives as gps-fix events; the live area
    // is previewed, then the walk is recorded.
    let e = w.invoke("gps_start", json!({})).await.unwrap_err();
    assert_eq!(e["code"], "gps_unavailable", "{e}");
    let mut settings = w.ok("settings_get", json!({})).await;
    settings["gps"] =
        json!({"source": "replay", "replay_path": gpx_fixture(), "replay_speed": 100.0});
    w.ok("settings_set", json!({"settings": settings})).await;
    w.listen("gps-fix").await;
    w.ok("gps_start", json!({})).await;
    wait_until("40 replayed fixes", 60, || async {
        w.events("gps-fix").await.len() >= 40
    })
    .await;
    let fixes = w.events("gps-fix").await;
    assert_eq!(fixes[0]["source"], "replay");
    let preview = w.ok("walk_preview", json!({"fixes": fixes[..20]})).await;
    assert!(preview["area_m2"].as_f64().unwrap() > 0.0, "{preview}");
    let walk = w
        .ok(
            "record_boundary_walk",
            json!({"community": community, "fixes": fixes}),
        )
        .await;
    let area = walk["area_m2"].as_f64().unwrap();
    assert!(
        (7_000.0..9_000.0).contains(&area),
        "a 100 m × 80 m block: {walk}"
    );
    assert_eq!(walk["gps_points"].as_array().map(Vec::len), Some(40));

    // The rest of the contract: the standard, the 体验活动 templates, the survey, export and
    // import, delete and restore, the display copy, stopping the GPS.
    w.ok("gps_stop", json!({})).await;
    let standard = w.ok("standard", json!({})).await;
    assert_eq!(standard["items"].as_array().map(Vec::len), Some(20));
    let templates = w.ok("checklist_templates", json!({})).await;
    let groups: Vec<&str> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "wheelchair",
            "blind_low_vision",
            "deaf_hard_of_hearing",
            "elderly"
        ]
    );
    let survey = w.ok("survey", json!({"community": community})).await;
    assert_eq!(
        survey["facilities"].as_array().map(Vec::len),
        Some(2),
        "{survey}"
    );
    let file = w
        .ok("export_community", json!({"community": community}))
        .await;
    let e = w
        .invoke("import_community", json!({"json": file}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "already_here", "{e}");
    let ramp = survey["ramps"][0]["id"].clone();
    w.ok("delete_record", json!({"kind": "ramp", "id": ramp}))
        .await;
    let e = w
        .invoke("record", json!({"kind": "ramp", "id": ramp}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "deleted", "{e}");
    w.ok("restore_record", json!({"kind": "ramp", "id": ramp}))
        .await;
    let display = w.ok("photo_display", json!({"sha256": sha})).await;
    assert!(display
        .as_str()
        .unwrap()
        .starts_with("data:image/jpeg;base64,"));

    // Sync: the data, then the photo.
    w.listen("sync-progress").await;
    let status = w.ok("sync_status", json!({})).await;
    assert!(status["waiting_changes"].as_u64().unwrap() > 40, "{status}");
    assert_eq!(status["waiting_photos"], 1, "{status}");
    let report = w.ok("sync_now", json!({})).await;
    assert!(report["pushed"].as_u64().unwrap() > 40, "{report}");
    assert_eq!(report["photos"], 1, "{report}");
    let status = w.ok("sync_status", json!({})).await;
    assert_eq!(
        (
            status["waiting_changes"].clone(),
            status["waiting_photos"].clone()
        ),
        (json!(0), json!(0)),
        "{status}"
    );
    assert!(
        !w.events("sync-progress").await.is_empty(),
        "sync-progress events"
    );
    w.screenshot("02-after-sync").await;
    w.close().await;

    // The server holds it: a second tablet of the same surveyor pulls the survey whole, and the
    // photo's display copy is in the server's photo folder.
    let other = tempfile::tempdir().unwrap();
    let mut store = buqi_app::store::Store::open(other.path().join("survey.db")).unwrap();
    let client = buqi_app::sync::SyncClient::new(&server.url).unwrap();
    client
        .enroll(&mut store, &server.code(), "second tablet")
        .await
        .unwrap();
    client.sync(&mut store, &mut |_| {}).await.unwrap();
    let survey = store.survey(server.community).unwrap();
    assert_eq!(survey.facilities.len(), 2);
    assert_eq!(survey.ramps.len(), 1);
    assert_eq!(survey.photos.len(), 1);
    assert_eq!(survey.photos[0].sha256, sha);
    assert_eq!(survey.gps_points.len(), 40);
    assert!(survey.community.boundary.is_some(), "the walked boundary");
    let found = walk_dir(&server.dir.path().join("photos"))
        .iter()
        .any(|p| p.to_string_lossy().contains(&sha));
    assert!(found, "the photo {sha} is in the server's photo folder");
}

fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_dir(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

// ---- the screens -----------------------------------------------------------------------------

impl Window {
    fn css(id: &str) -> By {
        By::Css(format!("[data-testid=\"{id}\"]"))
    }

    /// The first element with this test id, once it is there (up to 30 s).
    async fn el(&self, id: &str) -> WebElement {
        self.wait_css(&format!("[data-testid=\"{id}\"]")).await
    }

    async fn wait_css(&self, css: &str) -> WebElement {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(e) = self.driver.find(By::Css(css)).await {
                return e;
            }
            if Instant::now() > deadline {
                let name = format!(
                    "missing-{}",
                    css.replace(|c: char| !c.is_alphanumeric(), "_")
                );
                self.screenshot(&name).await;
                panic!("{css} did not appear within 30 s (screenshot target/window-artifacts/{name}.png)");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn click(&self, id: &str) {
        let e = self.el(id).await;
        // Scrolled into view first: WebKit refuses clicks on elements outside the viewport.
        let _ = e.scroll_into_view().await;
        e.click()
            .await
            .unwrap_or_else(|err| panic!("click {id}: {err}"));
    }

    async fn fill(&self, id: &str, text: &str) {
        let e = self.el(id).await;
        let _ = e.scroll_into_view().await;
        e.clear()
            .await
            .unwrap_or_else(|err| panic!("clear {id}: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {id}: {err}"));
    }

    async fn attr_of(&self, css: &str, name: &str) -> String {
        let e = self.wait_css(css).await;
        e.attr(name).await.ok().flatten().unwrap_or_default()
    }

    /// A screen: waits for its heading, saves a screenshot and audits it with axe-core.
    async fn screen(&self, name: &str) {
        self.wait_css("main h1, h1").await;
        // Let the screen's first data arrive (the loading heading is replaced).
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let text = match self.driver.find(By::Css("h1")).await {
                Ok(h) => h.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if !text.contains("加载") && !text.to_lowercase().contains("loading") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        // WebKit under Xvfb paints a moment after the DOM changes; without this pause a
        // screenshot can show the screen before.
        tokio::time::sleep(Duration::from_millis(if name.contains("map") {
            2500
        } else {
            700
        }))
        .await;
        // The top of the screen (its heading and verdict), unless the test scrolled on purpose.
        if !name.contains("boundary") && !name.contains("ramp") {
            let _ = self.driver.execute("window.scrollTo(0, 0);", vec![]).await;
        }
        self.screenshot(name).await;
        self.audit(name).await;
    }
}

/// The surveyor's day through the screens, as a surveyor does it, with a screenshot and an
/// axe-core audit of each screen: enroll, sync the assigned community, open it, survey item 2
/// (a kindergarten, its photo from a file), set the GPS to replay, walk the boundary, measure a
/// ramp and watch its checks change, look at the gaps, the map and the 体验活动 routes, sync, and
/// find the work on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screens_of_a_survey_reach_the_server() {
    if !enabled() {
        return;
    }
    let server = Server::start();
    let w = Window::open(&[]).await;
    let community = server.community.to_string();
    w.screen("10-communities-empty").await;

    // Enroll.
    w.click("nav-enroll").await;
    w.fill("enroll-server", &server.url).await;
    w.fill("enroll-code", &server.code()).await;
    w.screen("11-enroll").await;
    w.click("enroll-submit").await;
    w.el("enroll-done").await;

    // Sync brings the assigned community.
    w.click("nav-sync").await;
    w.click("sync-now").await;
    w.el("sync-done").await;
    w.screen("12-sync-first").await;

    // Open it.
    w.click("nav-communities").await;
    let open = w
        .wait_css(&format!(
            "[data-testid=\"community-open\"][data-community=\"{community}\"]"
        ))
        .await;
    w.screen("13-communities").await;
    let _ = open.scroll_into_view().await;
    open.click().await.expect("open the community");
    w.el("nav-item").await;
    w.screen("14-profile").await;

    // Item 2: a kindergarten with its classes; the check's verdict changes.
    w.click("nav-item").await;
    w.click("item-jump-2").await;
    let classes = "[data-testid=\"check\"][data-check=\"2.classes\"]";
    let before = w.attr_of(classes, "data-status").await;
    w.screen("15-item-2-empty").await;
    if w.driver
        .find(Window::css("facility-add-kind"))
        .await
        .is_ok()
    {
        let select = w.el("facility-add-kind").await;
        let _ = select
            .find(By::Css("option[value=\"kindergarten\"]"))
            .await
            .expect("a kindergarten option")
            .click()
            .await;
    }
    w.click("facility-add").await;
    w.fill("facility-name", "百步亭幼儿园").await;
    w.fill("facility-classes", "9").await;
    w.fill("facility-building_area_m2", "3600").await;
    w.fill("facility-land_area_m2", "5400").await;
    w.click("facility-save").await;
    wait_until("2.classes changes its verdict", 30, || async {
        w.attr_of(classes, "data-status").await != before
    })
    .await;

    // A photo from a file, as the file picker gives it.
    let photo_dir = tempfile::tempdir().unwrap();
    let photo = photo_dir.path().join("幼儿园大门.jpg");
    std::fs::write(&photo, jpeg()).unwrap();
    let input = w.el("item-photo-file").await;
    input
        .send_keys(photo.to_string_lossy().as_ref())
        .await
        .expect("choose the photo file");
    w.wait_css("[data-testid=\"item-photo-thumbs\"] img").await;
    w.screen("16-item-2-recorded").await;

    // GPS from the replayed walk.
    w.click("nav-settings").await;
    w.click("settings-gps-replay").await;
    w.fill("settings-replay-path", &gpx_fixture().to_string_lossy())
        .await;
    w.fill("settings-replay-speed", "50").await;
    w.screen("17-settings").await;
    w.click("settings-save").await;
    w.el("settings-saved").await;

    // The boundary, walked.
    w.click("nav-communities").await;
    w.wait_css(&format!(
        "[data-testid=\"community-open\"][data-community=\"{community}\"]"
    ))
    .await
    .click()
    .await
    .expect("open the community");
    w.click("nav-profile").await;
    w.click("boundary-start").await;
    w.el("boundary-area").await;
    // 40 fixes 7 s apart at 50×: about 5.5 s of replay.
    tokio::time::sleep(Duration::from_secs(8)).await;
    w.screen("18-boundary-walked").await;
    w.click("boundary-stop").await;
    w.click("boundary-save").await;
    w.el("boundary-saved").await;

    // A ramp: too steep, then long enough.
    w.click("nav-ramp").await;
    if w.driver.find(Window::css("ramp-label")).await.is_err() {
        w.click("ramp-new").await;
    }
    w.fill("ramp-label", "3号楼入口坡道").await;
    w.fill("ramp-rise", "0.45").await;
    w.fill("ramp-length", "3").await;
    let slope = "[data-testid=\"ramp-check\"][data-check=\"running_slope\"]";
    wait_until("a 1:6.7 ramp fails its running slope", 15, || async {
        w.attr_of(slope, "data-status").await == "not_met"
    })
    .await;
    w.screen("19-ramp-steep").await;
    w.fill("ramp-length", "6").await;
    wait_until("a 1:13 ramp meets its running slope", 15, || async {
        w.attr_of(slope, "data-status").await == "met"
    })
    .await;
    w.click("ramp-save").await;
    w.el("ramp-saved").await;
    w.screen("20-ramp-ok").await;

    // The gaps, the map, the 体验活动 routes.
    w.click("nav-gaps").await;
    w.el("gaps-summary").await;
    w.screen("21-gaps").await;
    w.click("nav-map").await;
    w.el("map").await;
    w.screen("22-map").await;

    // The offline basemap: a file that is not there is refused where it was typed; the test
    // grid (scripts/basemap-fixture.py) is read by ranged requests through the asset protocol.
    w.click("nav-settings").await;
    w.fill("settings-basemap", "/nonexistent/wuhan.pmtiles")
        .await;
    w.click("settings-save").await;
    let refused = w
        .el("settings-error")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        refused.contains("/nonexistent/wuhan.pmtiles"),
        "the refusal names the file: {refused}"
    );
    let basemap = repo().join("src-tauri/tests/fixtures/test-basemap.pmtiles");
    w.fill("settings-basemap", &basemap.to_string_lossy()).await;
    w.click("settings-save").await;
    w.el("settings-saved").await;
    w.click("nav-map").await;
    wait_until("the map draws with WebGL", 20, || async {
        w.attr_of("[data-testid=\"map\"]", "data-mode").await == "gl"
    })
    .await;
    w.screen("22b-map-basemap").await;
    if let Ok(note) = w.driver.find(Window::css("map-basemap-note")).await {
        // What the webview gets when it asks for the file's header, to say why.
        let probe = w
            .driver
            .execute_async(
                r#"const [path, done] = arguments;
                const url = window.__TAURI_INTERNALS__.convertFileSrc(path, 'asset');
                fetch(url, { headers: { Range: 'bytes=0-126' } })
                  .then(async r => done(`${url}: ${r.status} ${(await r.arrayBuffer()).byteLength} bytes`))
                  .catch(e => done(`${url}: ${e}`));"#,
                vec![json!(basemap.to_string_lossy())],
            )
            .await
            .map(|v| v.json().to_string())
            .unwrap_or_else(|e| e.to_string());
        panic!(
            "the basemap did not load: {} (fetching its header: {probe})",
            note.text().await.unwrap_or_default()
        );
    }
    w.click("nav-checklist").await;
    w.wait_css("[data-testid=\"checklist-start\"]").await;
    w.screen("23-checklists").await;

    // Sync everything.
    w.click("nav-sync").await;
    w.click("sync-now").await;
    w.el("sync-done").await;
    w.screen("24-sync-done").await;
    let status = w.ok("sync_status", json!({})).await;
    assert_eq!(
        (
            status["waiting_changes"].clone(),
            status["waiting_photos"].clone()
        ),
        (json!(0), json!(0)),
        "{status}"
    );

    // The high-contrast theme at 200 % text, audited too.
    w.click("nav-settings").await;
    w.click("settings-theme-high-contrast").await;
    w.click("settings-text-scale-200").await;
    w.click("settings-save").await;
    w.el("settings-saved").await;
    w.click("nav-communities").await;
    w.wait_css(&format!(
        "[data-testid=\"community-open\"][data-community=\"{community}\"]"
    ))
    .await
    .click()
    .await
    .expect("open the community");
    w.click("nav-item").await;
    w.click("item-jump-2").await;
    w.wait_css(classes).await;
    w.screen("25-item-2-high-contrast-200").await;
    w.close().await;

    let other = tempfile::tempdir().unwrap();
    let mut store = buqi_app::store::Store::open(other.path().join("survey.db")).unwrap();
    let client = buqi_app::sync::SyncClient::new(&server.url).unwrap();
    client
        .enroll(&mut store, &server.code(), "second tablet")
        .await
        .unwrap();
    client.sync(&mut store, &mut |_| {}).await.unwrap();
    let survey = store.survey(server.community).unwrap();
    assert_eq!(survey.facilities.len(), 1, "the kindergarten");
    assert_eq!(survey.photos.len(), 1, "its photo");
    assert_eq!(survey.ramps.len(), 1, "the ramp");
    assert!(survey.community.boundary.is_some(), "the walked boundary");
    assert!(survey.gps_points.len() >= 3, "the walk's GPS points");
}
