//! Photo uploads and downloads over real HTTP on 127.0.0.1, on a folder: resumable uploads (ask
//! the offset, append, verify the SHA-256 at the end), create-only, ranged downloads.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use buqi_schema::change::Change;
use buqi_schema::record::EntityKind;

use buqi_server::photos::{s3_blobs, Blobs, PhotoStore};
use buqi_server::serve::{self, AppState, Config};
use common::http::{send, Response};
use common::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes that look like nothing in particular, `n` of them.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_be_bytes()[0] ^ seed)
        .collect()
}

#[derive(Clone)]
struct Photos {
    _db: Arc<TestDb>,
    /// The photo folder, or with S3 the directory whose `.uploads` holds uploads in progress.
    dir: Arc<tempfile::TempDir>,
    /// Stored copies are files in `dir` (not objects in a bucket).
    folder: bool,
    addr: SocketAddr,
    /// The device that calls, and the community its photo records are in.
    token: String,
    device: Uuid,
    community: Uuid,
    /// The world's other device (李四's, also of 水果湖) and 水果湖.
    other: (String, Uuid),
    shuiguohu: Uuid,
}

enum Storage {
    None,
    Folder,
    /// An `s3://` URL.
    S3(String),
}

async fn running_on(storage: Storage) -> Photos {
    let db = TestDb::sqlite();
    let world = world(db.store().await).await;
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = AppState::new(world.store.clone(), Config::default());
    let folder = matches!(storage, Storage::Folder);
    match storage {
        Storage::None => {}
        Storage::Folder => state = state.with_photos(PhotoStore::folder(dir.path()).unwrap()),
        Storage::S3(url) => {
            let blobs = s3_blobs(&url).unwrap();
            state = state.with_photos(PhotoStore::new(blobs, dir.path().join(".uploads")).unwrap());
        }
    }
    tokio::spawn(serve::run(listener, state, std::future::pending()));
    Photos {
        _db: Arc::new(db),
        dir: Arc::new(dir),
        folder,
        addr,
        token: world.token_a.clone(),
        device: world.a.device,
        community: world.baibuting,
        other: (world.token_b.clone(), world.b.device),
        shuiguohu: world.shuiguohu,
    }
}

async fn running(with_photos: bool) -> Photos {
    running_on(if with_photos {
        Storage::Folder
    } else {
        Storage::None
    })
    .await
}

/// The test S3 bucket (`BUQI_TEST_S3`, set by scripts/s3-test.sh) with a prefix of its own, if
/// any. With `BUQI_REQUIRE_S3=1` and none, the test fails; with neither, it says it was not run.
fn s3_url(test: &str) -> Option<String> {
    match std::env::var("BUQI_TEST_S3") {
        Ok(url) if !url.is_empty() => {
            let (location, query) = url.split_once('?').unwrap_or((&url, ""));
            let prefix = uuid::Uuid::now_v7().simple();
            Some(format!(
                "{}/{prefix}?{query}",
                location.trim_end_matches('/')
            ))
        }
        _ => {
            if std::env::var("BUQI_REQUIRE_S3").as_deref() == Ok("1") {
                panic!("{test}: BUQI_REQUIRE_S3=1 but BUQI_TEST_S3 is not set; run the tests under scripts/s3-test.sh");
            }
            eprintln!(
                "{test}: NOT RUN on S3: BUQI_TEST_S3 is not set (scripts/s3-test.sh sets it)"
            );
            None
        }
    }
}

impl Photos {
    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Response {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n",
            self.token,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        send(self.addr, raw).await.unwrap()
    }

    /// The same device, calling in `community` as the world's other device.
    fn as_other(&self, community: Uuid) -> Photos {
        Photos {
            token: self.other.0.clone(),
            device: self.other.1,
            community,
            ..self.clone()
        }
    }

    /// Pushes a photo record with the address `sha` in the device's community: what lets its
    /// devices download the photo.
    async fn record(&self, sha: &str) {
        let photo = Change {
            kind: EntityKind::Photo,
            ..change(
                self.community,
                Uuid::now_v7(),
                "sha256",
                serde_json::json!(sha),
                now_hlc(),
                self.device,
                None,
            )
        };
        let body = push_body(Uuid::now_v7(), &[photo]).to_string();
        let r = self
            .call(
                "POST",
                "/v1/changes",
                &[("Content-Type", "application/json".into())],
                body.as_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }

    async fn patch(&self, sha: &str, whole: &[u8], offset: usize, chunk: &[u8]) -> Response {
        self.patch_declared(sha, whole.len(), &hex(whole), offset, chunk)
            .await
    }

    async fn patch_declared(
        &self,
        sha: &str,
        length: usize,
        digest: &str,
        offset: usize,
        chunk: &[u8],
    ) -> Response {
        self.call(
            "PATCH",
            &format!("/v1/photos/{sha}/display"),
            &[
                ("Upload-Offset", offset.to_string()),
                ("Upload-Length", length.to_string()),
                ("Upload-Digest", digest.to_owned()),
            ],
            chunk,
        )
        .await
    }

    async fn head(&self, sha: &str) -> Response {
        let r = self
            .call("HEAD", &format!("/v1/photos/{sha}/display"), &[], b"")
            .await;
        assert!(r.body.is_empty());
        r
    }

    async fn get(&self, sha: &str, range: Option<&str>) -> Response {
        let headers: Vec<(&str, String)> =
            range.map(|r| ("Range", r.to_owned())).into_iter().collect();
        self.call("GET", &format!("/v1/photos/{sha}/display"), &headers, b"")
            .await
    }
}

fn offset_of(r: &Response) -> u64 {
    r.header("upload-offset")
        .unwrap_or_else(|| panic!("no Upload-Offset in {:?}", r.headers))
        .parse()
        .unwrap()
}

/// Files in the photo folder, not counting the uploads area.
fn stored_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != ".uploads")
        .collect();
    names.sort();
    names
}

fn uploads(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(".uploads")).unwrap().count()
}

#[tokio::test]
async fn an_upload_cut_in_half_resumes_from_the_servers_offset() {
    resumes(&running(true).await).await;
}

async fn resumes(s: &Photos) {
    let photo = hex(b"the camera original");
    let copy = bytes(300_000, 7);

    // Nothing yet: 404, offset 0.
    let r = s.head(&photo).await;
    assert_eq!((r.status, offset_of(&r)), (404, 0));

    // The first half goes up; then the connection is "cut".
    let r = s.patch(&photo, &copy, 0, &copy[..150_000]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["offset"], 150_000);
    assert_eq!(r.json()["complete"], false);
    if s.folder {
        assert!(
            stored_files(s.dir.path()).is_empty(),
            "not stored before the end"
        );
    }

    // The device asks where to go on; the server says, with what was declared.
    let r = s.head(&photo).await;
    assert_eq!((r.status, offset_of(&r)), (404, 150_000));
    assert_eq!(r.header("upload-length"), Some("300000"));
    assert_eq!(r.header("upload-digest"), Some(hex(&copy).as_str()));

    // Sending from the wrong place is refused with the right place.
    let r = s.patch(&photo, &copy, 100_000, &copy[100_000..]).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "offset_mismatch");
    assert_eq!(offset_of(&r), 150_000);

    // The rest: 201, stored, and the HEAD says so.
    let r = s.patch(&photo, &copy, 150_000, &copy[150_000..]).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["complete"], true);
    assert_eq!(r.json()["digest"], hex(&copy));
    let r = s.head(&photo).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("300000"));
    assert_eq!(
        uploads(s.dir.path()),
        0,
        "the upload's temporary file is gone"
    );
    if s.folder {
        assert_eq!(
            stored_files(s.dir.path()),
            vec![format!("{photo}.display.jpg")]
        );
        let on_disk = std::fs::read(s.dir.path().join(format!("{photo}.display.jpg"))).unwrap();
        assert_eq!(hex(&on_disk), hex(&copy));
    }

    // Downloaded whole, and by ranges, once the device's community has a record of it.
    let r = s.get(&photo, None).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "forbidden_photo")
    );
    s.record(&photo).await;
    let r = s.get(&photo, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, copy);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let r = s.get(&photo, Some("bytes=1000-1999")).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &copy[1000..2000]);
    assert_eq!(r.header("content-range"), Some("bytes 1000-1999/300000"));
    let r = s.get(&photo, Some("bytes=299990-")).await;
    assert_eq!((r.status, r.body.as_slice()), (206, &copy[299_990..]));
    let r = s.get(&photo, Some("bytes=-10")).await;
    assert_eq!((r.status, r.body.as_slice()), (206, &copy[299_990..]));
    let r = s.get(&photo, Some("bytes=300000-")).await;
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */300000"));
}

#[tokio::test]
async fn a_wrong_digest_is_refused_and_nothing_is_stored() {
    refuses_a_wrong_digest(&running(true).await).await;
}

async fn refuses_a_wrong_digest(s: &Photos) {
    let photo = hex(b"another original");
    let copy = bytes(50_000, 1);
    let mut damaged = copy.clone();
    damaged[40_000] ^= 0xff;

    let r = s.patch(&photo, &copy, 0, &damaged[..30_000]).await;
    assert_eq!(r.status, 200);
    let r = s.patch(&photo, &copy, 30_000, &damaged[30_000..]).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.error_code(), "digest_mismatch");
    assert_eq!(r.error_field().as_deref(), Some("upload-digest"));
    if s.folder {
        assert!(stored_files(s.dir.path()).is_empty());
    }
    assert_eq!(uploads(s.dir.path()), 0, "the bad upload is discarded");
    let r = s.head(&photo).await;
    assert_eq!((r.status, offset_of(&r)), (404, 0));
    s.record(&photo).await;
    assert_eq!(s.get(&photo, None).await.error_code(), "photo_not_stored");

    // Bytes past the declared length are refused, and nothing is written.
    let r = s.patch(&photo, &copy, 0, &bytes(50_001, 1)).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "past_end"));
    assert_eq!(uploads(s.dir.path()), 0);

    // Malformed requests say which header.
    let r = s
        .call(
            "PATCH",
            &format!("/v1/photos/{photo}/display"),
            &[("Upload-Offset", "0".into())],
            b"x",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_field().as_deref(), Some("upload-length"));
    let r = s.patch_declared(&photo, 10, "not-a-digest", 0, b"x").await;
    assert_eq!(r.error_field().as_deref(), Some("upload-digest"));
    let r = s.patch("NOT-AN-ADDRESS", &copy, 0, &copy).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "bad_address"));
    let r = s
        .patch_declared(&photo, 100 * 1024 * 1024, &hex(b"x"), 0, b"x")
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (413, "photo_too_large")
    );
}

#[tokio::test]
async fn a_stored_copy_is_never_overwritten() {
    never_overwrites(&running(true).await).await;
}

async fn never_overwrites(s: &Photos) {
    let photo = hex(b"one photo, two display copies");
    let first = bytes(20_000, 3);
    let second = bytes(25_000, 4);
    let r = s.patch(&photo, &first, 0, &first).await;
    assert_eq!(r.status, 201);

    // Another device with another copy of the same photo: "already have it", unchanged.
    let r = s.patch(&photo, &second, 0, &second).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["complete"], true);
    assert_eq!(r.json()["digest"], hex(&first));
    assert_eq!(r.json()["length"], 20_000);
    s.record(&photo).await;
    assert_eq!(s.get(&photo, None).await.body, first);
    assert_eq!(uploads(s.dir.path()), 0);

    // A second upload of another copy in progress is not mixed with the first: continuing it
    // is refused, starting again from 0 replaces it.
    let other = hex(b"a third photo");
    let r = s.patch(&other, &first, 0, &first[..1000]).await;
    assert_eq!(r.status, 200);
    let r = s.patch(&other, &second, 1000, &second[1000..2000]).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "upload_mismatch")
    );
    assert_eq!(offset_of(&r), 1000);
    let r = s.patch(&other, &second, 0, &second).await;
    assert_eq!(r.status, 201);
    s.record(&other).await;
    assert_eq!(s.get(&other, None).await.body, second);
}

#[tokio::test]
async fn photos_need_a_device_token_and_storage() {
    let s = running(false).await;
    let photo = hex(b"x");
    let r = s.get(&photo, None).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (503, "no_photo_storage")
    );
    let anonymous = send(
        s.addr,
        format!("GET /v1/photos/{photo}/display HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(anonymous.status, 401);
    let s = Photos {
        token: "bq1_0000".into(),
        ..running(true).await
    };
    let r = s.patch(&photo, b"abc", 0, b"abc").await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "bad_token"));
    assert!(stored_files(s.dir.path()).is_empty());
}

/// A chunk cut off by the network is kept as far as it arrived: the device goes on from there.
#[tokio::test]
async fn a_chunk_cut_off_midway_is_kept_as_far_as_it_arrived() {
    use tokio::io::AsyncWriteExt;
    let s = running(true).await;
    let photo = hex(b"cut midway");
    let copy = bytes(100_000, 8);
    let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "PATCH /v1/photos/{photo}/display HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Upload-Offset: 0\r\nUpload-Length: {}\r\nUpload-Digest: {}\r\nContent-Length: {}\r\n\r\n",
        s.token,
        copy.len(),
        hex(&copy),
        copy.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&copy[..37_001]).await.unwrap();
    stream.flush().await.unwrap();
    // Give the server the bytes before the cut, then cut.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(stream);
    let mut held = 0;
    for _ in 0..100 {
        held = offset_of(&s.head(&photo).await);
        if held == 37_001 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(held, 37_001, "the bytes that arrived are kept");
    let r = s.patch(&photo, &copy, 37_001, &copy[37_001..]).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    s.record(&photo).await;
    assert_eq!(s.get(&photo, None).await.body, copy);
}

/// Sets a file's modification time `secs` seconds back.
fn age_file(path: &Path, secs: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(secs))
        .unwrap();
}

fn part_files(uploads: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(uploads)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Uploads nobody touched for longer than the age are removed; the others stay, and an upload
/// removed starts again at 0.
#[tokio::test]
async fn abandoned_uploads_are_removed_and_others_kept() {
    let s = running(true).await;
    let (old, fresh) = (hex(b"abandoned"), hex(b"under way"));
    let copy = bytes(20_000, 3);
    assert_eq!(s.patch(&old, &copy, 0, &copy[..5_000]).await.status, 200);
    assert_eq!(s.patch(&fresh, &copy, 0, &copy[..7_000]).await.status, 200);
    let uploads = s.dir.path().join(".uploads");
    let old_file = part_files(&uploads)
        .into_iter()
        .find(|n| n.starts_with(&old))
        .unwrap();
    age_file(&uploads.join(&old_file), 2 * 3600);

    let sweeper = PhotoStore::folder(s.dir.path()).unwrap();
    let removed = sweeper
        .remove_abandoned(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(removed, (1, 5_000));
    assert_eq!(part_files(&uploads).len(), 1);
    assert_eq!(offset_of(&s.head(&old).await), 0, "starts again");
    assert_eq!(offset_of(&s.head(&fresh).await), 7_000, "kept");
    // Nothing more to remove.
    let again = sweeper
        .remove_abandoned(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(again, (0, 0));
}

/// `buqi serve` removes abandoned uploads when it starts, by `--abandoned-upload-secs`.
#[test]
fn buqi_serve_removes_abandoned_uploads_at_start() {
    let db = TestDb::sqlite();
    let database = db.url();
    cli_world(&database);
    let photos = tempfile::tempdir().unwrap();
    let uploads = photos.path().join(".uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let digest = hex(b"copy");
    let old = format!("{}.display.100.{digest}.part", hex(b"old"));
    let fresh = format!("{}.display.100.{digest}.part", hex(b"fresh"));
    std::fs::write(uploads.join(&old), [1u8; 10]).unwrap();
    std::fs::write(uploads.join(&fresh), [2u8; 10]).unwrap();
    age_file(&uploads.join(&old), 120);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_buqi"))
        .args(["serve", "--database", &database, "--listen", "127.0.0.1:0"])
        .arg("--photos")
        .arg(photos.path())
        .args(["--abandoned-upload-secs", "60"])
        .env_remove("BUQI_DATABASE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut left = part_files(&uploads);
    for _ in 0..100 {
        left = part_files(&uploads);
        if left.len() == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(left, [fresh]);
}

/// A stored photo goes only to devices whose communities (assigned, of their user's city) have a
/// record of it; uploading needs only an enrolled device.
#[tokio::test]
async fn a_photo_is_downloaded_only_by_devices_whose_communities_have_it() {
    let a = running(true).await;
    let b = a.as_other(a.shuiguohu);
    let photo = hex(b"taken in shuiguohu");
    let copy = bytes(5_000, 2);
    assert_eq!(b.patch(&photo, &copy, 0, &copy).await.status, 201);
    for s in [&a, &b] {
        let r = s.get(&photo, None).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "forbidden_photo")
        );
        assert_eq!(r.error_field().as_deref(), Some("sha256"));
        assert!(r.error_message().contains(&photo), "{}", r.error_message());
    }
    // 李四 records it in 水果湖, which 张三 is not assigned: his tablet may, 张三's may not.
    b.record(&photo).await;
    let r = b.get(&photo, Some("bytes=0-9")).await;
    assert_eq!((r.status, r.body.as_slice()), (206, &copy[..10]));
    let r = a.get(&photo, None).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "forbidden_photo")
    );
    assert!(r.error_message().contains("张三"), "{}", r.error_message());
    // The refusal comes before "not stored": nothing is said about photos of other communities.
    let unknown = hex(b"nowhere");
    assert_eq!(a.get(&unknown, None).await.error_code(), "forbidden_photo");
}

/// Runs `buqi serve` with `photo_args`, uploads a copy through it and downloads it again, kills
/// it, and returns the copy's address and bytes.
fn through_buqi_serve(photo_args: &[std::ffi::OsString]) -> (String, Vec<u8>) {
    let db = TestDb::sqlite();
    let database = db.url();
    let community = cli_world(&database);
    let code = cli_code(&database, "张三");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_buqi"))
        .args(["serve", "--database", &database, "--listen", "127.0.0.1:0"])
        .args(photo_args)
        .env_remove("BUQI_DATABASE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr: Option<SocketAddr> = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("buqi serve did not start: {line:?}");
    };
    let copy = bytes(10_000, 9);
    let photo = hex(b"via the command line");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let downloaded = runtime.block_on(async {
        let device = Uuid::now_v7();
        let enroll = serde_json::json!({"code": code, "device": device, "name": "平板"});
        let r = common::http::Client::new(addr)
            .post("/v1/enroll", &enroll)
            .await;
        assert_eq!(r.status, 200, "{}", r.json());
        let s = Photos {
            _db: Arc::new(TestDb::sqlite()),
            dir: Arc::new(tempfile::tempdir().unwrap()),
            folder: false,
            addr,
            token: r.json()["token"].as_str().unwrap().to_owned(),
            device,
            community,
            other: (String::new(), Uuid::nil()),
            shuiguohu: Uuid::nil(),
        };
        s.record(&photo).await;
        let r = s.patch(&photo, &copy, 0, &copy[..4000]).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            s.patch(&photo, &copy, 4000, &copy[4000..]).await.status,
            201
        );
        s.get(&photo, None).await.body
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(downloaded, copy);
    (photo, copy)
}

/// `buqi serve --photos DIR` keeps photos in DIR.
#[test]
fn buqi_serve_keeps_photos_in_its_folder() {
    let photos = tempfile::tempdir().unwrap();
    let (photo, copy) = through_buqi_serve(&["--photos".into(), photos.path().into()]);
    let kept = std::fs::read(photos.path().join(format!("{photo}.display.jpg"))).unwrap();
    assert_eq!(kept, copy);
}

/// `buqi serve --photos s3://… --photo-uploads DIR` keeps photos in the bucket.
#[test]
fn buqi_serve_keeps_photos_in_a_bucket() {
    let Some(url) = s3_url("buqi_serve_keeps_photos_in_a_bucket") else {
        return;
    };
    let uploads = tempfile::tempdir().unwrap();
    let (photo, copy) = through_buqi_serve(&[
        "--photos".into(),
        url.clone().into(),
        "--photo-uploads".into(),
        uploads.path().into(),
    ]);
    let Blobs::S3 { store, prefix, .. } = s3_blobs(&url).unwrap() else {
        unreachable!()
    };
    let path = object_store::path::Path::from(format!("{prefix}/{photo}.display.jpg"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let kept = runtime.block_on(async {
        let got = object_store::ObjectStoreExt::get(store.as_ref(), &path)
            .await
            .unwrap();
        got.bytes().await.unwrap().to_vec()
    });
    assert_eq!(kept, copy);
    assert_eq!(std::fs::read_dir(uploads.path()).unwrap().count(), 0);
}

/// The same on an S3-compatible server (moto, on loopback, under scripts/s3-test.sh); and two
/// servers on one bucket racing to store two copies of one photo keep the first
/// (`If-None-Match: *`).
#[tokio::test]
async fn on_s3_uploads_resume_digests_are_checked_and_nothing_is_overwritten() {
    let test = "on_s3_uploads_resume_digests_are_checked_and_nothing_is_overwritten";
    let Some(url) = s3_url(test) else {
        return;
    };
    let s = running_on(Storage::S3(url.clone())).await;
    resumes(&s).await;
    refuses_a_wrong_digest(&s).await;
    never_overwrites(&s).await;

    // Two servers, one bucket, each with its own uploads area.
    let other = running_on(Storage::S3(url.clone())).await;
    let photo = hex(b"raced");
    let (one, two) = (bytes(30_000, 5), bytes(31_000, 6));
    assert_eq!(s.patch(&photo, &one, 0, &one[..100]).await.status, 200);
    assert_eq!(other.patch(&photo, &two, 0, &two[..100]).await.status, 200);
    assert_eq!(s.patch(&photo, &one, 100, &one[100..]).await.status, 201);
    let r = other.patch(&photo, &two, 100, &two[100..]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["complete"], true);
    assert_eq!(r.json()["digest"], hex(&one), "the first copy stays");
    other.record(&photo).await;
    assert_eq!(other.get(&photo, None).await.body, one);
    assert_eq!(uploads(other.dir.path()), 0);

    // When both pass the "stored?" check before either stores, the bucket itself refuses the
    // second put (`If-None-Match: *`, which the S3 backend sends): that S3 server honours it.
    let Blobs::S3 { store, .. } = s3_blobs(&url).unwrap() else {
        unreachable!()
    };
    let create = || object_store::PutOptions {
        mode: object_store::PutMode::Create,
        ..Default::default()
    };
    let path = object_store::path::Path::from("create-only-check");
    store
        .put_opts(&path, one.clone().into(), create())
        .await
        .unwrap();
    let second = store.put_opts(&path, two.clone().into(), create()).await;
    assert!(
        matches!(
            second,
            Err(object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. })
        ),
        "{second:?}"
    );
    let kept = object_store::ObjectStoreExt::get(store.as_ref(), &path)
        .await
        .unwrap();
    assert_eq!(kept.bytes().await.unwrap().to_vec(), one);
}
