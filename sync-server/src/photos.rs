//! The server's photo storage: content-addressed copies of photos, uploaded resumably.
//!
//! A copy is named by its photo's address (SHA-256 of the camera original, `PhotoRef.sha256`)
//! and its variant (`display`). An upload declares the copy's length and the SHA-256 of its
//! bytes, then appends chunks at the offset the server holds; when the last byte is in, the
//! server hashes the whole and keeps the copy only if it matches. Stored copies are never
//! overwritten (create-only).
//!
//! Two parts:
//! - **uploads in progress**, always in a local directory: one file per copy being uploaded,
//!   named `<sha256>.<variant>.<length>.<digest>.part`, so the declaration and the bytes cannot
//!   disagree after a crash; its size is the offset. Each chunk is fsynced before it is
//!   acknowledged.
//! - **stored copies**, in a [`Blobs`] backend: a folder (`buqi serve --photos DIR`: copies in
//!   `DIR/<sha256>.display.jpg`, uploads in `DIR/.uploads/`, moved in by a no-clobber hard link),
//!   or an S3-compatible bucket (`--photos s3://BUCKET/PREFIX`, through `object_store`: objects
//!   `PREFIX/<sha256>.display.jpg`, put whole once verified with `If-None-Match: *`, so never
//!   overwritten; uploads in progress in the local `--photo-uploads DIR`).
//!
//! Appends and completions are serialised by one lock: each is a few milliseconds of disk work,
//! and it makes "check, append, verify, store" one step for every upload.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

/// One stored copy of one photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobKey {
    /// The photo's address: 64 lowercase hex digits (checked by [`BlobKey::display`]).
    pub sha256: String,
    /// The copy's name on the wire: `display`.
    pub variant: &'static str,
}

impl BlobKey {
    /// The display copy of the photo `sha256`, or `None` if that is not an address.
    pub fn display(sha256: &str) -> Option<BlobKey> {
        is_sha256(sha256).then(|| BlobKey {
            sha256: sha256.to_owned(),
            variant: "display",
        })
    }

    /// The copy's object name: `<sha256>.display.jpg` (as in the app's photo folder).
    pub fn name(&self) -> String {
        format!("{}.{}.jpg", self.sha256, self.variant)
    }
}

/// 64 lowercase hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// SHA-256 as 64 lowercase hex digits.
pub fn hex_sha256(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an uploader declares when it starts: the copy's length and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub length: u64,
    pub digest: String,
}

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    pub declared: Declared,
    /// Bytes held.
    pub offset: u64,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The bytes are in; more are expected.
    Partial { offset: u64 },
    /// The last bytes were in, the whole matched its digest, and the copy is stored now.
    Completed { length: u64 },
    /// The copy was stored before this request (its bytes were not used): create-only.
    AlreadyStored { length: u64, digest: String },
}

/// Why an append was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("the upload is at byte {held}, not {sent}")]
    OffsetMismatch { held: u64, sent: u64 },
    #[error("another upload of this copy is in progress (length {} bytes, digest {}), at byte {}", held.declared.length, held.declared.digest, held.offset)]
    OtherUpload { held: Partial },
    #[error("the bytes go {over} past the declared length {length}")]
    PastEnd { length: u64, over: u64 },
    #[error("the whole upload's SHA-256 is {actual}, not the declared {declared}")]
    DigestMismatch { declared: String, actual: String },
    #[error(transparent)]
    Storage(#[from] BlobError),
}

/// A failure of the storage itself (a disk, a bucket).
#[derive(Debug, thiserror::Error)]
#[error("cannot {what}: {message}")]
pub struct BlobError {
    pub what: String,
    pub message: String,
}

impl BlobError {
    fn io(what: impl Into<String>, path: &Path, e: std::io::Error) -> BlobError {
        BlobError {
            what: format!("{} {}", what.into(), path.display()),
            message: e.to_string(),
        }
    }
}

/// Where stored copies live.
#[derive(Debug, Clone)]
pub enum Blobs {
    /// A directory: `<dir>/<sha256>.display.jpg`.
    Folder(PathBuf),
    /// An S3-compatible bucket: `<prefix>/<sha256>.display.jpg`.
    S3 {
        store: Arc<dyn ObjectStore>,
        prefix: String,
        /// `s3://bucket/prefix`, for messages.
        url: String,
    },
}

/// Options of an `s3://BUCKET[/PREFIX][?endpoint=URL&region=R]` photo store. Credentials and
/// anything not in the URL come from the environment (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, …).
pub fn s3_blobs(url: &str) -> Result<Blobs, BlobError> {
    let bad = |message: String| BlobError {
        what: format!("use the photo store {url}"),
        message,
    };
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| bad("an S3 photo store is s3://BUCKET[/PREFIX][?endpoint=URL]".into()))?;
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        return Err(bad("the URL names no bucket".into()));
    }
    // The bucket may be reached over HTTPS: rustls's cryptography is ring (as in the app),
    // chosen once per process; a second call is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "endpoint" => {
                builder = builder
                    .with_allow_http(value.starts_with("http://"))
                    .with_endpoint(value);
            }
            "region" => builder = builder.with_region(value),
            other => {
                return Err(bad(format!(
                    "unknown option {other:?}: the URL takes endpoint and region"
                )))
            }
        }
    }
    let store = builder.build().map_err(|e| bad(e.to_string()))?;
    Ok(Blobs::S3 {
        store: Arc::new(store),
        prefix: prefix.trim_matches('/').to_owned(),
        url: format!("s3://{location}"),
    })
}

fn s3_error(what: &str, url: &str, e: object_store::Error) -> BlobError {
    BlobError {
        what: format!("{what} in {url}"),
        message: e.to_string(),
    }
}

impl Blobs {
    /// The length of a stored copy, or `None` if it is not stored.
    async fn stored(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match self {
            Blobs::Folder(dir) => {
                let path = dir.join(key.name());
                blocking(move || match fs::metadata(&path) {
                    Ok(m) => Ok(Some(m.len())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(BlobError::io("read", &path, e)),
                })
                .await?
            }
            Blobs::S3 { store, url, .. } => match store.head(&self.object(key)).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(s3_error("look for a photo", url, e)),
            },
        }
    }

    fn object(&self, key: &BlobKey) -> ObjectPath {
        match self {
            Blobs::S3 { prefix, .. } if !prefix.is_empty() => {
                ObjectPath::from(format!("{prefix}/{}", key.name()))
            }
            _ => ObjectPath::from(key.name()),
        }
    }

    /// Stores the verified file `from` as `key`, unless a copy is stored already (never
    /// overwritten): `false` then. `from` is removed either way.
    async fn store(&self, key: &BlobKey, from: PathBuf) -> Result<bool, BlobError> {
        match self {
            Blobs::Folder(dir) => {
                let to = dir.join(key.name());
                let dir = dir.clone();
                blocking(move || {
                    // A hard link never replaces an existing name: create-only, atomically.
                    let new = match fs::hard_link(&from, &to) {
                        Ok(()) => true,
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                        Err(e) => return Err(BlobError::io("store", &to, e)),
                    };
                    fs::remove_file(&from).map_err(|e| BlobError::io("remove", &from, e))?;
                    sync_dir(&dir)?;
                    Ok(new)
                })
                .await?
            }
            Blobs::S3 { store, url, .. } => {
                let path = from.clone();
                let bytes = blocking(move || fs::read(&path))
                    .await?
                    .map_err(|e| BlobError::io("read", &from, e))?;
                let options = PutOptions {
                    mode: PutMode::Create,
                    ..PutOptions::default()
                };
                let new = match store
                    .put_opts(&self.object(key), PutPayload::from(bytes), options)
                    .await
                {
                    Ok(_) => true,
                    // Stored meanwhile (another server): create-only, keep that one.
                    Err(object_store::Error::AlreadyExists { .. }) => false,
                    Err(object_store::Error::Precondition { .. }) => false,
                    Err(e) => return Err(s3_error("store a photo", url, e)),
                };
                blocking(move || {
                    fs::remove_file(&from).map_err(|e| BlobError::io("remove", &from, e))
                })
                .await??;
                Ok(new)
            }
        }
    }

    /// Bytes `range` (`start..end`, end exclusive) of a stored copy, or all of it; `None` if it
    /// is not stored. The range must lie within the copy.
    async fn read(
        &self,
        key: &BlobKey,
        range: Option<(u64, u64)>,
    ) -> Result<Option<Vec<u8>>, BlobError> {
        match self {
            Blobs::Folder(dir) => {
                let path = dir.join(key.name());
                blocking(move || {
                    let mut file = match File::open(&path) {
                        Ok(file) => file,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                        Err(e) => return Err(BlobError::io("read", &path, e)),
                    };
                    let io = |e| BlobError::io("read", &path, e);
                    let (start, end) = match range {
                        Some(range) => range,
                        None => (0, file.metadata().map_err(io)?.len()),
                    };
                    file.seek(SeekFrom::Start(start)).map_err(io)?;
                    let mut bytes = vec![0; usize::try_from(end - start).unwrap_or(0)];
                    file.read_exact(&mut bytes).map_err(io)?;
                    Ok(Some(bytes))
                })
                .await?
            }
            Blobs::S3 { store, url, .. } => {
                let path = self.object(key);
                let result = match range {
                    Some((start, end)) => store.get_range(&path, start..end).await,
                    None => match store.get(&path).await {
                        Ok(got) => got.bytes().await,
                        Err(e) => Err(e),
                    },
                };
                match result {
                    Ok(bytes) => Ok(Some(bytes.to_vec())),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(s3_error("read a photo", url, e)),
                }
            }
        }
    }

    /// `folder` or `s3`, for the log.
    pub fn kind(&self) -> &'static str {
        match self {
            Blobs::Folder(_) => "folder",
            Blobs::S3 { .. } => "s3",
        }
    }
}

/// The server's photos: stored copies and uploads in progress.
#[derive(Debug)]
pub struct PhotoStore {
    blobs: Blobs,
    uploads: PathBuf,
    lock: Mutex<()>,
}

impl PhotoStore {
    /// Photos in the folder `dir` (created if missing), uploads in progress in `dir/.uploads`.
    pub fn folder(dir: impl Into<PathBuf>) -> Result<PhotoStore, BlobError> {
        let dir = dir.into();
        let uploads = dir.join(".uploads");
        fs::create_dir_all(&uploads).map_err(|e| BlobError::io("create", &uploads, e))?;
        Ok(PhotoStore {
            blobs: Blobs::Folder(dir),
            uploads,
            lock: Mutex::new(()),
        })
    }

    /// Stored copies in `blobs`, uploads in progress in the local directory `uploads`.
    pub fn new(blobs: Blobs, uploads: impl Into<PathBuf>) -> Result<PhotoStore, BlobError> {
        let uploads = uploads.into();
        fs::create_dir_all(&uploads).map_err(|e| BlobError::io("create", &uploads, e))?;
        Ok(PhotoStore {
            blobs,
            uploads,
            lock: Mutex::new(()),
        })
    }

    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// The length of a stored copy, or `None`.
    pub async fn stored(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        self.blobs.stored(key).await
    }

    /// Removes uploads in progress untouched for longer than `age` (a tablet that never came
    /// back, or that started the copy again with another length or digest elsewhere): their files
    /// would otherwise stay on the server's disk for ever. Returns the files removed and their
    /// bytes. An upload resumed later simply starts again at 0 (`HEAD` says so).
    pub async fn remove_abandoned(
        &self,
        age: std::time::Duration,
    ) -> Result<(usize, u64), BlobError> {
        // Under the appends' lock: an upload being appended to is never judged idle mid-write.
        let _no_appends = self.lock.lock().await;
        let uploads = self.uploads.clone();
        blocking(move || {
            let now = std::time::SystemTime::now();
            let (mut files, mut bytes) = (0, 0);
            let entries = fs::read_dir(&uploads).map_err(|e| BlobError::io("list", &uploads, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| BlobError::io("list", &uploads, e))?;
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("part") {
                    continue;
                }
                let meta = entry
                    .metadata()
                    .map_err(|e| BlobError::io("look at", &path, e))?;
                let touched = meta
                    .modified()
                    .map_err(|e| BlobError::io("look at", &path, e))?;
                let idle = now.duration_since(touched).unwrap_or_default();
                if meta.is_file() && idle > age {
                    fs::remove_file(&path).map_err(|e| BlobError::io("remove", &path, e))?;
                    files += 1;
                    bytes += meta.len();
                }
            }
            if files > 0 {
                sync_dir(&uploads)?;
            }
            Ok((files, bytes))
        })
        .await?
    }

    /// The upload in progress of a copy, if any.
    pub async fn partial(&self, key: &BlobKey) -> Result<Option<Partial>, BlobError> {
        // After an append under way: the offset a device resumes from after a cut includes
        // what its cut request delivered.
        let _settled = self.lock.lock().await;
        let (uploads, key) = (self.uploads.clone(), key.clone());
        blocking(move || find_partial(&uploads, &key).map(|p| p.map(|(p, _)| p))).await?
    }

    /// A stored copy's bytes (`range`: `start..end` within it), or `None`.
    pub async fn read(
        &self,
        key: &BlobKey,
        range: Option<(u64, u64)>,
    ) -> Result<Option<Vec<u8>>, BlobError> {
        self.blobs.read(key, range).await
    }

    /// Appends `bytes` at `offset` to the upload of `key` declared as `declared`; when they are
    /// the last, verifies the whole and stores it. An upload of the same copy with another
    /// declaration is replaced only by one starting at offset 0.
    pub async fn append(
        &self,
        key: &BlobKey,
        declared: &Declared,
        offset: u64,
        bytes: Arc<[u8]>,
    ) -> Result<Appended, AppendError> {
        let _one_at_a_time = self.lock.lock().await;
        if let Some(length) = self.blobs.stored(key).await? {
            // Stored (by another device, or another server on the same storage): an upload of
            // it in progress here is of no more use.
            let (uploads, k) = (self.uploads.clone(), key.clone());
            blocking(move || match find_partial(&uploads, &k)? {
                Some((_, path)) => {
                    fs::remove_file(&path).map_err(|e| BlobError::io("remove", &path, e))
                }
                None => Ok(()),
            })
            .await??;
            let digest = self.stored_digest(key, length).await?;
            return Ok(Appended::AlreadyStored { length, digest });
        }
        let (uploads, k, d) = (self.uploads.clone(), key.clone(), declared.clone());
        let step = blocking(move || append_locally(&uploads, &k, &d, offset, &bytes)).await??;
        match step {
            Local::Partial(offset) => Ok(Appended::Partial { offset }),
            Local::Verified(path) => {
                if self.blobs.store(key, path).await? {
                    return Ok(Appended::Completed {
                        length: declared.length,
                    });
                }
                // Another server on the same storage stored a copy first: that one stays.
                let length = self.blobs.stored(key).await?.unwrap_or(0);
                let digest = self.stored_digest(key, length).await?;
                Ok(Appended::AlreadyStored { length, digest })
            }
        }
    }

    /// The SHA-256 of a stored copy (read back: stored copies are small and this is rare).
    async fn stored_digest(&self, key: &BlobKey, _length: u64) -> Result<String, BlobError> {
        let bytes = self.blobs.read(key, None).await?.unwrap_or_default();
        Ok(hex_sha256(&Sha256::digest(&bytes)))
    }
}

enum Local {
    Partial(u64),
    Verified(PathBuf),
}

fn partial_name(key: &BlobKey, declared: &Declared) -> String {
    format!(
        "{}.{}.{}.{}.part",
        key.sha256, key.variant, declared.length, declared.digest
    )
}

/// The upload in progress of `key` in `uploads`, and its file.
fn find_partial(uploads: &Path, key: &BlobKey) -> Result<Option<(Partial, PathBuf)>, BlobError> {
    let prefix = format!("{}.{}.", key.sha256, key.variant);
    let entries = fs::read_dir(uploads).map_err(|e| BlobError::io("list", uploads, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BlobError::io("list", uploads, e))?;
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(".part"))
        else {
            continue;
        };
        let Some((length, digest)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(length), true) = (length.parse::<u64>(), is_sha256(digest)) else {
            continue;
        };
        let path = entry.path();
        let offset = entry
            .metadata()
            .map_err(|e| BlobError::io("read", &path, e))?
            .len();
        let declared = Declared {
            length,
            digest: digest.to_owned(),
        };
        return Ok(Some((Partial { declared, offset }, path)));
    }
    Ok(None)
}

fn append_locally(
    uploads: &Path,
    key: &BlobKey,
    declared: &Declared,
    offset: u64,
    bytes: &[u8],
) -> Result<Local, AppendError> {
    let mut held = 0;
    if let Some((partial, path)) = find_partial(uploads, key)? {
        if partial.declared == *declared {
            held = partial.offset;
        } else if offset == 0 {
            // A new start with another declaration replaces the old upload.
            fs::remove_file(&path).map_err(|e| BlobError::io("remove", &path, e))?;
        } else {
            return Err(AppendError::OtherUpload { held: partial });
        }
    }
    if offset != held {
        return Err(AppendError::OffsetMismatch { held, sent: offset });
    }
    let end = offset + bytes.len() as u64;
    if end > declared.length {
        return Err(AppendError::PastEnd {
            length: declared.length,
            over: end - declared.length,
        });
    }
    let path = uploads.join(partial_name(key, declared));
    let io = |e| BlobError::io("write", &path, e);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    if offset == 0 {
        sync_dir(uploads)?;
    }
    file.write_all(bytes).map_err(io)?;
    file.sync_data().map_err(io)?;
    if end < declared.length {
        return Ok(Local::Partial(end));
    }
    // The last byte is in: the whole must be what was declared.
    let mut file = File::open(&path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&chunk[..n]);
    }
    let actual = hex_sha256(&hasher.finalize());
    if actual != declared.digest {
        fs::remove_file(&path).map_err(|e| BlobError::io("remove", &path, e))?;
        return Err(AppendError::DigestMismatch {
            declared: declared.digest.clone(),
            actual,
        });
    }
    Ok(Local::Verified(path))
}

fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BlobError::io("sync", dir, e))?;
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BlobError {
            what: "finish a disk operation".into(),
            message: e.to_string(),
        })
}
