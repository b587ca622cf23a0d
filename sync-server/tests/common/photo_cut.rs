//! One photo uploaded by the app's sync client through a [`CutProxy`] that cuts the upload
//! `cuts` times at random, the client resuming from the server's offset after each cut; shared
//! by tests/photo_cuts.rs and examples/bench_photo_cut.rs.

use std::path::Path;
use std::time::Instant;

use buqi_app::store::Store as Tablet;
use buqi_app::sync::SyncClient;
use buqi_server::photos::PhotoStore;
use buqi_server::protocol::Role;
use buqi_server::secret::{code_hash, new_enroll_code};
use buqi_server::serve::{self, AppState, Config};
use buqi_server::store::{Community, Store};
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::cut_proxy::CutProxy;

/// What one upload took.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The display copy's size.
    pub payload: u64,
    /// Client-to-server bytes that reached the server, headers included.
    pub forwarded: u64,
    /// Of which request bodies.
    pub body: u64,
    pub cuts: usize,
    /// Calls of the client's upload (the first, and one after each failure).
    pub attempts: usize,
    pub connections: usize,
    pub seconds: f64,
}

impl Upload {
    /// Request-body bytes sent per byte of the copy: what resuming costs.
    pub fn ratio(&self) -> f64 {
        self.body as f64 / self.payload as f64
    }

    /// All bytes sent per byte of the copy, the requests' headers included.
    pub fn wire_ratio(&self) -> f64 {
        self.forwarded as f64 / self.payload as f64
    }
}

/// A camera-like JPEG, `width` × `height`: a gradient with noise, so its display copy is about
/// the size of a detailed survey photo's.
pub fn camera_jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let n =
            (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ seed).wrapping_mul(2246822519);
        image::Rgb([
            (x / 9) as u8 ^ (n >> 24) as u8 & 0x1f,
            (y / 7) as u8 ^ (n >> 16) as u8 & 0x1f,
            (seed as u8).wrapping_add(((x + y) / 11) as u8) ^ (n >> 8) as u8 & 0x1f,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Uploads one photo of `jpeg` from a new tablet through a proxy that cuts it `cuts` times
/// (each connection's budget 1..=payload/`cuts` bytes, so the cuts fall within the upload), and
/// checks that the server then holds the display copy byte for byte.
pub async fn upload_through_cuts(dir: &Path, jpeg: &[u8], cuts: usize, seed: u64) -> Upload {
    let tag = Uuid::now_v7().simple().to_string();
    let store = Store::open(&format!(
        "sqlite:{}",
        dir.join(format!("server-{tag}.db")).display()
    ))
    .await
    .unwrap();
    let now = Utc::now();
    store
        .add_user("张三", Role::Surveyor, "武汉", None, now)
        .await
        .unwrap();
    let id = Uuid::now_v7();
    store
        .add_community(
            Community {
                id,
                name: "百步亭社区".into(),
                city: "武汉".into(),
            },
            now,
        )
        .await
        .unwrap();
    store.assign("张三", &id.to_string(), now).await.unwrap();
    let code = new_enroll_code().unwrap();
    store
        .add_enroll_code("张三", &code_hash(&code), now + Duration::hours(1), now)
        .await
        .unwrap();
    let photos = dir.join(format!("server-photos-{tag}"));
    let state =
        AppState::new(store, Config::default()).with_photos(PhotoStore::folder(&photos).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    tokio::spawn(serve::run(listener, state, std::future::pending()));
    let proxy = CutProxy::start(server, seed).await;

    let client = SyncClient::new(&format!("http://{}", proxy.addr)).unwrap();
    let mut tablet = Tablet::open(dir.join(format!("tablet-{tag}.db"))).unwrap();
    client
        .enroll(&mut tablet, &code, "张三的平板")
        .await
        .unwrap();
    client.sync(&mut tablet, &mut |_| {}).await.unwrap();
    let folder = buqi_photo::PhotoFolder::open(dir.join(format!("tablet-photos-{tag}"))).unwrap();
    let settings = buqi_photo::Settings::default();
    let how = buqi_app::photos::Processing {
        settings: &settings,
        stamp: None,
        zone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    };
    let attach = buqi_app::photos::Attachment {
        item: Some(4),
        ..Default::default()
    };
    let filed = tablet.add_photo(&folder, id, jpeg, &attach, how).unwrap();
    // Data first: the photo record is on the server before its photo.
    client.sync(&mut tablet, &mut |_| {}).await.unwrap();
    let copy = folder
        .read(&filed.sha256, buqi_photo::Variant::Display)
        .unwrap();
    let payload = copy.len() as u64;

    proxy.reset();
    if cuts > 0 {
        proxy.arm(cuts, (payload / cuts as u64).max(1));
    }
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match client
            .upload_photos(&mut tablet, &folder, &mut |_| {})
            .await
        {
            Ok(report) => {
                assert_eq!(report.photos, 1, "{report:?}");
                break;
            }
            Err(e) if e.is_temporary() && attempts <= 10 * cuts + 10 => {}
            Err(e) => panic!("attempt {attempts}, after {} cuts: {e}", proxy.cuts()),
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let kept = std::fs::read(photos.join(format!("{}.display.jpg", filed.sha256))).unwrap();
    assert!(
        kept == copy,
        "the server's copy is the tablet's, byte for byte"
    );
    Upload {
        payload,
        forwarded: proxy.forwarded(),
        body: proxy.body(),
        cuts: proxy.cuts(),
        attempts,
        connections: proxy.connections(),
        seconds,
    }
}
