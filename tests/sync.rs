//! The app's sync client against the real server, over real HTTP on 127.0.0.1: two tablets
//! enroll, survey one community offline, sync, and end with the same survey as each other; a
//! server that is down is waited for; a revoked tablet is told so; a community taken away from a
//! tablet leaves it only once everything it made there is on the server; photos go up after the
//! data, and an upload cut short resumes from where the server is.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use buqi_app::schema::protocol::Role;
use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::store::Store as Tablet;
use buqi_app::sync::{Backoff, Progress, SyncClient, SyncError};
use buqi_server::photos::PhotoStore;
use buqi_server::serve::{self, AppState, Config};
use buqi_server::store::{Community, Store as Office};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

fn fields(value: serde_json::Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

struct Server {
    office: Office,
    addr: SocketAddr,
    photos: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(dir: &tempfile::TempDir) -> Server {
        let url = format!("sqlite:{}", dir.path().join("office.db").display());
        let office = Office::open(&url).await.unwrap();
        Server::on(office, "127.0.0.1:0", &dir.path().join("office-photos")).await
    }

    async fn on(office: Office, addr: &str, photos: &Path) -> Server {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(office.clone(), Config::default())
            .with_photos(PhotoStore::folder(photos).unwrap());
        let task = tokio::spawn(serve::run(listener, state, async {
            let _ = stopped.await;
        }));
        Server {
            office,
            addr,
            photos: photos.to_owned(),
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) -> Office {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
        self.office
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A surveyor with the community assigned, and a one-time code for a tablet.
    async fn code_for(&self, user: &str, community: Uuid) -> String {
        let now = Utc::now();
        if self
            .office
            .add_user(user, Role::Surveyor, "武汉", None, now)
            .await
            .is_err()
        {
            // Already there: a second tablet for the same surveyor.
        }
        self.office
            .assign(user, &community.to_string(), now)
            .await
            .unwrap();
        let code = buqi_server::secret::new_enroll_code().unwrap();
        self.office
            .add_enroll_code(
                user,
                &buqi_server::secret::code_hash(&code),
                now + chrono::Duration::hours(1),
                now,
            )
            .await
            .unwrap();
        code
    }
}

async fn community(office: &Office, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    office
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

fn tablet(dir: &tempfile::TempDir, name: &str) -> Tablet {
    Tablet::open(dir.path().join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tablets_sync_one_community_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let id = community(&server.office, "东亭社区").await;
    let client = SyncClient::new(&server.url()).unwrap();

    let mut a = tablet(&dir, "a.db");
    let mut b = tablet(&dir, "b.db");
    let enrolled = client
        .enroll(&mut a, &server.code_for("张三", id).await, "张三的平板")
        .await
        .unwrap();
    assert_eq!(enrolled.communities.len(), 1);
    client
        .enroll(&mut b, &server.code_for("李四", id).await, "李四的平板")
        .await
        .unwrap();

    // A syncs first: the assigned community is started under the office's id.
    let mut events = Vec::new();
    client.sync(&mut a, &mut |p| events.push(p)).await.unwrap();
    assert_eq!(a.survey(id).unwrap().community.name, "东亭社区");
    let shop = a
        .create(
            id,
            EntityKind::Facility,
            fields(json!({"kind": "supermarket"})),
        )
        .unwrap();
    a.set(EntityKind::Community, id, "items.6.complete", json!(true))
        .unwrap();
    let report = client.sync(&mut a, &mut |p| events.push(p)).await.unwrap();
    assert!(report.pushed >= 3, "{report:?}");
    assert!(events.iter().any(|p| matches!(p, Progress::Pushing { .. })));

    // B pulls A's work, edits offline, pushes; A pulls B's.
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    assert_eq!(b.survey(id).unwrap(), a.survey(id).unwrap());
    b.set(EntityKind::Facility, shop, "building_area_m2", json!(260.0))
        .unwrap();
    a.set(EntityKind::Facility, shop, "name", json!("中百超市"))
        .unwrap();
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap();
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    let (sa, sb) = (a.survey(id).unwrap(), b.survey(id).unwrap());
    assert_eq!(sa, sb);
    assert_eq!(sa.facilities[0].name.as_deref(), Some("中百超市"));
    assert_eq!(sa.facilities[0].building_area_m2.unwrap().get(), 260.0);

    // Nothing left to push; syncing again changes nothing.
    let quiet = client.sync(&mut a, &mut |_| {}).await.unwrap();
    assert_eq!((quiet.pushed, quiet.pulled), (0, 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_waited_for_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let id = community(&server.office, "中南社区").await;
    let client = SyncClient::new(&server.url()).unwrap();
    let mut a = tablet(&dir, "a.db");
    client
        .enroll(&mut a, &server.code_for("王五", id).await, "平板")
        .await
        .unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap();
    a.create(id, EntityKind::Ramp, fields(json!({"label": "3号楼坡道"})))
        .unwrap();

    // The server goes away; the tablet keeps its edit and says it cannot reach it.
    let (addr, photos) = (server.addr, server.photos.clone());
    let office = server.stop().await;
    let err = client.sync(&mut a, &mut |_| {}).await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert!(
        err.to_string().starts_with("cannot reach the server"),
        "{err}"
    );
    assert_eq!(a.survey(id).unwrap().ramps.len(), 1);

    // It comes back on the same address while the tablet is backing off.
    let restart = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        Server::on(office, &addr.to_string(), &photos).await
    });
    let mut waits = Vec::new();
    let backoff = Backoff {
        first: Duration::from_millis(200),
        max: Duration::from_secs(2),
        attempts: 10,
    };
    let report = client
        .sync_with_retry(&mut a, backoff, &mut |p| {
            if let Progress::Waiting { delay, .. } = p {
                waits.push(delay);
            }
        })
        .await
        .unwrap();
    assert!(!waits.is_empty(), "it had to wait");
    assert!(waits.windows(2).all(|w| w[1] >= w[0]), "{waits:?}");
    assert!(report.pushed >= 1, "{report:?}");
    let server = restart.await.unwrap();

    // A second tablet sees the ramp.
    let mut b = tablet(&dir, "b.db");
    client
        .enroll(&mut b, &server.code_for("王五", id).await, "备用平板")
        .await
        .unwrap();
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    assert_eq!(b.survey(id).unwrap().ramps.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tablet_is_told_and_an_unassigned_community_leaves_only_when_safe() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let kept = community(&server.office, "水果湖社区").await;
    let client = SyncClient::new(&server.url()).unwrap();
    let mut a = tablet(&dir, "a.db");
    let err = client.sync(&mut a, &mut |_| {}).await.unwrap_err();
    assert!(matches!(err, SyncError::NotEnrolled), "{err}");

    let enrolled = client
        .enroll(&mut a, &server.code_for("赵六", kept).await, "平板")
        .await
        .unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap();
    a.set(EntityKind::Community, kept, "street", json!("水果湖街道"))
        .unwrap();
    // A community the tablet has but the server never assigned: its changes are held back (the
    // server would refuse the whole batch for them), the rest still syncs, and the community
    // stays on the tablet, since its work is not on the server.
    let stray = a
        .create_community(fields(json!({"name": "未分配社区"})))
        .unwrap();
    a.set(EntityKind::Community, kept, "district", json!("武昌区"))
        .unwrap();
    let report = client.sync(&mut a, &mut |_| {}).await.unwrap();
    assert_eq!(report.held, 1, "{report:?}");
    assert!(
        report.pushed >= 2,
        "the street and the district went: {report:?}"
    );
    assert!(report.evicted.is_empty(), "{report:?}");
    assert!(
        a.survey(stray).is_ok(),
        "not evicted: its work is not on the server"
    );
    // Held, not lost: once the office has it and assigns it, it goes up.
    server
        .office
        .add_community(
            Community {
                id: stray,
                name: "未分配社区".into(),
                city: "武汉".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    server
        .office
        .assign("赵六", &stray.to_string(), Utc::now())
        .await
        .unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap(); // learns of the assignment
    let report = client.sync(&mut a, &mut |_| {}).await.unwrap();
    assert_eq!((report.held, report.pushed), (0, 1), "{report:?}");
    a.delete(EntityKind::Community, stray).unwrap();
    drop(a);

    // A clean tablet: assigned, synced, then unassigned: evicted, since all is on the server.
    let gone = community(&server.office, "东湖社区").await;
    let mut b = tablet(&dir, "b.db");
    client
        .enroll(&mut b, &server.code_for("钱七", gone).await, "平板")
        .await
        .unwrap();
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    assert!(b.survey(gone).is_ok());
    // Starting the community made changes here; once they are on the server, it may go.
    client.sync(&mut b, &mut |_| {}).await.unwrap();
    server
        .office
        .unassign("钱七", &gone.to_string(), Utc::now())
        .await
        .unwrap();
    let report = client.sync(&mut b, &mut |_| {}).await.unwrap();
    assert_eq!(report.evicted, vec![gone]);
    assert!(b.survey(gone).is_err());

    // Revoked: told so, and not worth retrying.
    let a = tablet(&dir, "a.db");
    server
        .office
        .revoke_device(a.device(), Utc::now())
        .await
        .unwrap();
    let mut a = a;
    let err = client.sync(&mut a, &mut |_| {}).await.unwrap_err();
    assert!(!err.is_temporary(), "{err}");
    assert!(err.to_string().contains("(401)"), "{err}");
    let _ = enrolled;
    server.stop().await;
}

/// A small camera-like JPEG: a gradient with noise, so its display copy is a few hundred KB.
fn camera_jpeg(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let n =
            (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ seed).wrapping_mul(2246822519);
        image::Rgb([
            (x / 7) as u8 ^ (n >> 24) as u8 & 0x1f,
            (y / 5) as u8 ^ (n >> 16) as u8 & 0x1f,
            seed as u8 ^ (n >> 8) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn processing() -> buqi_app::photos::Processing<'static> {
    static SETTINGS: std::sync::OnceLock<buqi_photo::Settings> = std::sync::OnceLock::new();
    buqi_app::photos::Processing {
        settings: SETTINGS.get_or_init(buqi_photo::Settings::default),
        stamp: None,
        zone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    }
}

/// Sends the first `n` bytes of a display copy as an upload would, then "loses the connection".
async fn upload_prefix(addr: SocketAddr, token: &str, sha: &str, copy: &[u8], n: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH /v1/photos/{sha}/display HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nUpload-Offset: 0\r\nUpload-Length: {}\r\n\
         Upload-Digest: {}\r\nContent-Length: {n}\r\n\r\n",
        copy.len(),
        buqi_photo::address_of(copy)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&copy[..n]).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_go_up_after_the_data_and_a_cut_upload_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let id = community(&server.office, "百步亭社区").await;
    let client = SyncClient::new(&server.url()).unwrap();
    let mut a = tablet(&dir, "a.db");
    client
        .enroll(&mut a, &server.code_for("张三", id).await, "张三的平板")
        .await
        .unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap();
    let folder = buqi_photo::PhotoFolder::open(dir.path().join("a-photos")).unwrap();
    let attach = buqi_app::photos::Attachment {
        item: Some(4),
        ..Default::default()
    };
    let first = a
        .add_photo(&folder, id, &camera_jpeg(1), &attach, processing())
        .unwrap();
    let second = a
        .add_photo(&folder, id, &camera_jpeg(2), &attach, processing())
        .unwrap();
    let display = |sha: &str| folder.read(sha, buqi_photo::Variant::Display).unwrap();
    let on_server = |sha: &str| server.photos.join(format!("{sha}.display.jpg"));

    // The second photo's upload was cut off after its first part, in an earlier sync.
    let state = a.sync_state().unwrap().unwrap();
    let copy = display(&second.sha256);
    assert!(
        copy.len() > 2 * buqi_app::sync::PHOTO_CHUNK,
        "{} bytes",
        copy.len()
    );
    let cut = copy.len() / 2;
    upload_prefix(server.addr, &state.token, &second.sha256, &copy, cut).await;
    assert!(!on_server(&second.sha256).exists());

    // Data first, photos after; the second photo goes on from the server's offset.
    let mut events = Vec::new();
    let report = client
        .sync_with_photos(&mut a, &folder, &mut |p| events.push(p))
        .await
        .unwrap();
    assert!(report.pushed >= 2, "the photo records: {report:?}");
    assert_eq!(report.photos, 2, "{report:?}");
    let full = (display(&first.sha256).len() + copy.len()) as u64;
    assert!(report.photo_bytes < full, "{report:?}, {full} bytes in all");
    assert_eq!(report.photo_bytes, full - cut as u64, "{report:?}");
    let pushed_at = events
        .iter()
        .position(|p| matches!(p, Progress::Pushing { .. }))
        .unwrap();
    let photos_at = events
        .iter()
        .position(|p| matches!(p, Progress::Photos { .. }))
        .unwrap();
    assert!(pushed_at < photos_at, "{events:?}");
    assert_eq!(events.last(), Some(&Progress::Photos { done: 2, total: 2 }));

    // The server has both, byte for byte, under the photo's address.
    for photo in [&first, &second] {
        let kept = std::fs::read(on_server(&photo.sha256)).unwrap();
        assert_eq!(
            buqi_photo::address_of(&kept),
            buqi_photo::address_of(&display(&photo.sha256))
        );
        assert!(a.photo_uploaded(&state.server, &photo.sha256).unwrap());
    }

    // Acknowledged photos are not sent again.
    let again = client
        .sync_with_photos(&mut a, &folder, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((again.photos, again.photo_bytes), (0, 0));

    // A second tablet gets the records but not the files: it has nothing to upload.
    let mut b = tablet(&dir, "b.db");
    client
        .enroll(&mut b, &server.code_for("李四", id).await, "李四的平板")
        .await
        .unwrap();
    let other = buqi_photo::PhotoFolder::open(dir.path().join("b-photos")).unwrap();
    let report = client
        .sync_with_photos(&mut b, &other, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(b.survey(id).unwrap().photos.len(), 2);
    assert_eq!(report.photos, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_wait_on_the_tablet_while_the_server_has_no_photo_storage() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("office.db").display());
    let office = Office::open(&url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve::run(
        listener,
        AppState::new(office.clone(), Config::default()),
        std::future::pending(),
    ));
    let server = Server {
        office,
        addr,
        photos: dir.path().join("none"),
        stop: None,
        task: tokio::spawn(async { Ok(()) }),
    };
    let id = community(&server.office, "中南社区").await;
    let client = SyncClient::new(&server.url()).unwrap();
    let mut a = tablet(&dir, "a.db");
    client
        .enroll(&mut a, &server.code_for("王五", id).await, "平板")
        .await
        .unwrap();
    client.sync(&mut a, &mut |_| {}).await.unwrap();
    let folder = buqi_photo::PhotoFolder::open(dir.path().join("a-photos")).unwrap();
    a.add_photo(
        &folder,
        id,
        &camera_jpeg(3),
        &Default::default(),
        processing(),
    )
    .unwrap();
    let err = client
        .sync_with_photos(&mut a, &folder, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert!(err.to_string().contains("(503)"), "{err}");
    let server_url = a.sync_state().unwrap().unwrap().server;
    assert_eq!(a.photos_not_uploaded(&server_url).unwrap().len(), 1);
    // The data went up before the photos were tried.
    assert_eq!(
        a.unpushed(a.sync_state().unwrap().unwrap().pushed_seq)
            .unwrap(),
        0
    );
}
