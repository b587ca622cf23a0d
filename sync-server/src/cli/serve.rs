//! `buqi serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{fail, runtime, DatabaseArg};
use crate::clock::DEFAULT_MAX_AHEAD_SECS;
use crate::photos::{s3_blobs, PhotoStore};
use crate::serve::{self, AppState, Config, DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES};
use crate::store::{shown_url, Store};

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArg,
    /// The address and port to listen on. Port 0 takes any free port; the address taken is
    /// printed on the first line of output.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where photos are kept: a directory (created if missing, and checked writable at start:
    /// `DIR/<sha256>.display.jpg`, uploads in progress in `DIR/.uploads`), or an S3-compatible
    /// bucket, `s3://BUCKET[/PREFIX][?endpoint=URL&region=R]`, with credentials from the
    /// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …) and uploads in progress in
    /// `--photo-uploads`. Without it the photo routes answer 503 and tablets keep their photos
    /// until the server has storage.
    #[arg(long)]
    pub photos: Option<PathBuf>,
    /// With an `s3://` photo store: the local directory for uploads in progress (created if
    /// missing). A verified upload is put in the bucket whole and removed from here.
    #[arg(long)]
    pub photo_uploads: Option<PathBuf>,
    /// How far ahead of the server's clock, in seconds, a change's clock reading may be before it
    /// is capped (a tablet with its clock set ahead would otherwise win every edit).
    #[arg(long, default_value_t = DEFAULT_MAX_AHEAD_SECS)]
    pub max_ahead_secs: u64,
    /// The largest request body, in bytes; larger requests are answered 413.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES as u64, value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_body_bytes: u64,
    /// Photo uploads in progress untouched for this many seconds are removed, at start and
    /// then hourly (default 7 days: a tablet offline for a week starts its upload again).
    #[arg(long, default_value_t = DEFAULT_ABANDONED_UPLOAD_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub abandoned_upload_secs: u64,
    /// The most changes one push may hold.
    #[arg(long, default_value_t = DEFAULT_MAX_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_batch: u64,
}

/// Photo uploads idle this long are abandoned, by default: 7 days.
pub const DEFAULT_ABANDONED_UPLOAD_SECS: u64 = 7 * 24 * 60 * 60;

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail("serve", format!("cannot start: {e}")),
    };
    runtime.block_on(async move {
        let photos = match photo_store(&args) {
            Ok(photos) => photos,
            Err(message) => return fail("serve", message),
        };
        let store = match Store::open(&args.db.database).await {
            Ok(store) => store,
            Err(e) => return fail("serve", e),
        };
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(e) => return fail("serve", format!("cannot listen on {}: {e}", args.listen)),
        };
        let shutdown = match shutdown_signals() {
            Ok(shutdown) => shutdown,
            Err(e) => return fail("serve", format!("cannot handle signals: {e}")),
        };
        let address = match listener.local_addr() {
            Ok(address) => address,
            Err(e) => return fail("serve", format!("cannot listen on {}: {e}", args.listen)),
        };
        let photo_note = match (&photos, &args.photos) {
            (Some(p), Some(dir)) if p.blobs().kind() == "folder" => {
                format!("photos in {}", dir.display())
            }
            // The URL without its query (an endpoint may carry more than one wants in a log).
            (Some(_), Some(url)) => format!(
                "photos in {}",
                url.to_string_lossy().split('?').next().unwrap_or_default()
            ),
            _ => "no photo storage: photo uploads wait on the tablets".to_owned(),
        };
        println!(
            "buqi serve: listening on http://{address} (protocol v1, database {}, {photo_note})",
            shown_url(&args.db.database)
        );
        let _ = std::io::stdout().flush();
        let config = Config {
            max_body_bytes: usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX),
            max_batch: usize::try_from(args.max_batch).unwrap_or(usize::MAX),
            max_ahead_secs: args.max_ahead_secs,
            ..Config::default()
        };
        let mut state = AppState::new(store, config);
        if let Some(photos) = photos {
            state = state.with_photos(photos);
        }
        if let Some(photos) = state.photos.clone() {
            let age = Duration::from_secs(args.abandoned_upload_secs);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60 * 60));
                loop {
                    // The first tick is at once: the sweep at start.
                    every.tick().await;
                    match photos.remove_abandoned(age).await {
                        Ok((0, _)) => {}
                        Ok((files, bytes)) => println!(
                            "buqi serve: removed {files} photo uploads untouched for over {}s ({bytes} bytes)",
                            age.as_secs()
                        ),
                        Err(e) => eprintln!("buqi serve: cannot remove abandoned photo uploads: {e}"),
                    }
                }
            });
        }
        match serve::run(listener, state, shutdown).await {
            Ok(()) => {
                println!("buqi serve: stopped");
                ExitCode::SUCCESS
            }
            Err(e) => fail("serve", e),
        }
    })
}

/// The photo store `--photos` and `--photo-uploads` name, if any.
fn photo_store(args: &ServeArgs) -> Result<Option<PhotoStore>, String> {
    let Some(photos) = &args.photos else {
        if args.photo_uploads.is_some() {
            return Err("--photo-uploads goes with --photos s3://…".into());
        }
        return Ok(None);
    };
    match photos.to_str().filter(|p| p.starts_with("s3://")) {
        Some(url) => {
            let uploads = args.photo_uploads.as_ref().ok_or_else(|| {
                "with --photos s3://…, --photo-uploads DIR names the local directory for uploads in progress".to_owned()
            })?;
            writable_dir(uploads)?;
            let blobs = s3_blobs(url).map_err(|e| e.to_string())?;
            PhotoStore::new(blobs, uploads)
                .map(Some)
                .map_err(|e| e.to_string())
        }
        None => {
            if args.photo_uploads.is_some() {
                return Err("--photo-uploads is for an s3:// photo store; a folder keeps its uploads in DIR/.uploads".into());
            }
            writable_dir(photos)?;
            PhotoStore::folder(photos)
                .map(Some)
                .map_err(|e| e.to_string())
        }
    }
}

/// Creates `dir` if missing and checks that a file can be written in it.
fn writable_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the photo directory {}: {e}", dir.display()))?;
    let probe = dir.join(".buqi-write-test");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("cannot write in the photo directory {}: {e}", dir.display()))
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are in place when this
/// returns, so a signal sent as soon as the server says it listens is not missed.
fn shutdown_signals() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
