//! The sync client: enrolls the tablet with the city office's server, pushes this device's
//! changes, pulls the changes of its assigned communities, and keeps trying (with exponential
//! backoff) over a bad mobile network. Protocol v1: `docs/sync-protocol.md`; the messages are
//! `buqi_schema::protocol`'s.
//!
//! Order and safety: data is pushed first, then pulled. The push cursor moves only after the
//! server has answered a batch with success, so an interrupted push is sent again (the server
//! recognises the replay); nothing local is removed unless the server has acknowledged every
//! change of it (eviction of a community no longer assigned). Photos come after data
//! ([`SyncClient::upload_photos`], [`SyncClient::sync_with_photos`]): each photo's display copy
//! is uploaded once, resuming from the offset the server holds, and recorded as acknowledged only
//! when the server says it is stored; no photo file leaves the device before that.

use std::time::Duration;

use buqi_photo::{address_of, PhotoFolder, Variant};
use buqi_schema::merge::Admitted;
use buqi_schema::protocol::{
    photo_headers, EnrollRequest, EnrollResponse, ErrorBody, PhotoUpload, PullResponse,
    PushRequest, PushResponse,
};
use uuid::Uuid;

use crate::store::{Store, StoreError};

/// Changes per push: well under the server's default limits (5,000 changes, 4 MiB), and small
/// enough that a batch lost to a dropped connection costs little to send again.
pub const PUSH_BATCH: usize = 500;
/// Changes per pull.
pub const PULL_PAGE: usize = 1000;
/// Bytes of a photo per upload request: a cut connection loses at most this much, and it is
/// well under the server's default body limit (4 MiB).
pub const PHOTO_CHUNK: usize = 256 * 1024;

/// Why a sync did not finish. What was done before the failure is kept.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this tablet is not enrolled with a server yet: scan the code from the office first")]
    NotEnrolled,
    #[error("cannot reach the server {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error("the server refused {what} ({status}): {message}")]
    Refused {
        what: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server's answer to {what} could not be read: {message}")]
    BadAnswer { what: &'static str, message: String },
    #[error("the photo {sha256} could not be read on this device: {message}")]
    Photo { sha256: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Worth trying again later: the network, or a server that is busy or restarting. A refusal
    /// (a revoked device, a community not assigned) is not: it needs a person.
    pub fn is_temporary(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Refused { status, .. } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }
}

/// How a sync is going, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Pushed `done` of `total` changes waiting on this device.
    Pushing { done: usize, total: usize },
    /// Pulled `received` changes so far.
    Pulling { received: usize },
    /// `done` of `total` photos waiting on this device are on the server.
    Photos { done: usize, total: usize },
    /// Waiting before trying again, after a temporary failure.
    Waiting { attempt: u32, delay: Duration },
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Changes the server took that it did not have.
    pub pushed: usize,
    /// Changes pulled that this device did not have.
    pub pulled: usize,
    /// Communities removed from the device because they are no longer assigned to it.
    pub evicted: Vec<Uuid>,
    /// This device's changes held back because their community is not assigned to it (the
    /// office has to assign it); they stay on the device and are pushed once it is.
    pub held: usize,
    /// Photos the server acknowledged in this sync (stored now, or already).
    pub photos: usize,
    /// Bytes of photos sent in this sync.
    pub photo_bytes: u64,
}

/// Exponential backoff: `first`, doubling up to `max`, for at most `attempts` tries.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(300),
            attempts: 12,
        }
    }
}

impl Backoff {
    /// The wait before attempt `n` (1 = the first retry), with up to a quarter of random jitter
    /// so that a city's tablets coming back online do not all knock at once.
    pub fn delay(&self, n: u32, jitter: f64) -> Duration {
        let base = self
            .first
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(20));
        let base = base.min(self.max);
        base.mul_f64(1.0 + 0.25 * jitter.clamp(0.0, 1.0))
    }
}

/// A client for one server.
pub struct SyncClient {
    http: reqwest::Client,
    server: String,
}

impl SyncClient {
    /// A client for the server at `server` (`https://…` or, on a test bench, `http://…`).
    pub fn new(server: &str) -> Result<SyncClient, SyncError> {
        // rustls needs its cryptography chosen once per process; a second call is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Unreachable {
                server: server.to_owned(),
                message: e.to_string(),
            })?;
        Ok(SyncClient {
            http,
            server: server.trim_end_matches('/').to_owned(),
        })
    }

    /// Trades the one-time code from the office for a device token, and keeps it (and the
    /// server) in the store.
    pub async fn enroll(
        &self,
        store: &mut Store,
        code: &str,
        name: &str,
    ) -> Result<EnrollResponse, SyncError> {
        let request = EnrollRequest {
            code: code.to_owned(),
            device: store.device(),
            name: name.to_owned(),
        };
        let answer: EnrollResponse = self
            .call(
                "enrollment",
                self.http.post(self.url("/v1/enroll")).json(&request),
            )
            .await?;
        store.save_enrollment(&self.server, &answer.token)?;
        store.save_assigned(&answer.communities.iter().map(|c| c.id).collect::<Vec<_>>())?;
        Ok(answer)
    }

    /// One sync: push everything waiting, then pull everything new, then evict communities no
    /// longer assigned. Stops at the first failure, keeping what was done.
    pub async fn sync(
        &self,
        store: &mut Store,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let state = store.sync_state()?.ok_or(SyncError::NotEnrolled)?;
        let token = state.token.clone();
        let mut report = SyncReport::default();

        // Push, holding back the changes of communities not assigned to this device.
        let mut pushed_seq = state.pushed_seq;
        let total = store.unpushed(pushed_seq)?;
        let mut done = 0;
        loop {
            let batch = store.changes_to_push(pushed_seq, &state.assigned, PUSH_BATCH)?;
            if batch.is_empty() {
                break;
            }
            let request = PushRequest {
                batch: Uuid::now_v7(),
                changes: batch.iter().map(|c| c.change.clone()).collect(),
            };
            let answer: PushResponse = self
                .call(
                    "the push",
                    self.http
                        .post(self.url("/v1/changes"))
                        .bearer_auth(&token)
                        .json(&request),
                )
                .await?;
            let seqs: Vec<i64> = batch.iter().map(|c| c.seq).collect();
            pushed_seq = store.save_pushed_changes(&seqs)?;
            report.pushed += answer.accepted;
            done += batch.len();
            progress(Progress::Pushing { done, total });
        }
        report.held = store.unpushed(pushed_seq)?;

        // Pull.
        let mut cursor = state.pulled_seq;
        let mut known = state.assigned.clone();
        let mut received = 0;
        let assigned = loop {
            let page: PullResponse = self
                .call(
                    "the pull",
                    self.http
                        .get(self.url(&format!("/v1/changes?after={cursor}&limit={PULL_PAGE}")))
                        .bearer_auth(&token),
                )
                .await?;
            let ids: Vec<Uuid> = page.communities.iter().map(|c| c.id).collect();
            if ids.iter().any(|c| !known.contains(c)) && cursor > 0 {
                // A community newly assigned: its earlier changes are behind the cursor.
                known = ids;
                store.save_assigned(&known)?;
                cursor = 0;
                store.save_pulled(0)?;
                continue;
            }
            let changes: Vec<Admitted> = page
                .changes
                .iter()
                .map(|c| Admitted {
                    change: c.change.clone(),
                    capped_from: c.capped_from,
                })
                .collect();
            let applied = store.apply_pulled(&changes)?;
            report.pulled += applied.applied;
            received += changes.len();
            cursor = page.next;
            store.save_pulled(cursor)?;
            progress(Progress::Pulling { received });
            if page.changes.len() < PULL_PAGE {
                break page.communities;
            }
        };
        store.save_assigned(&assigned.iter().map(|c| c.id).collect::<Vec<_>>())?;

        // A community the office assigned that nobody has started yet: start it here, under the
        // office's id, with the name and city the office gave it.
        for c in &assigned {
            let fields = [
                ("name".to_owned(), serde_json::Value::String(c.name.clone())),
                ("city".to_owned(), serde_json::Value::String(c.city.clone())),
            ]
            .into_iter()
            .collect();
            store.batch(|b| b.adopt_community(c.id, fields))?;
        }

        // Evict what is no longer assigned, once all of it is on the server.
        for community in store.community_ids()? {
            let still = assigned.iter().any(|c| c.id == community);
            if !still && store.evict(community, pushed_seq)? {
                report.evicted.push(community);
            }
        }
        Ok(report)
    }

    /// A sync, then the photos: data first, photos after.
    pub async fn sync_with_photos(
        &self,
        store: &mut Store,
        folder: &PhotoFolder,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let mut report = self.sync(store, progress).await?;
        let photos = self.upload_photos(store, folder, progress).await?;
        report.photos = photos.photos;
        report.photo_bytes = photos.photo_bytes;
        Ok(report)
    }

    /// Uploads the display copy of every photo of a live photo record that this device holds
    /// in `folder` and the server has not acknowledged, resuming each from the offset the server
    /// holds; records each acknowledgement in the store. Photos whose files are not on this
    /// device (taken on another tablet) are not this device's to send. Stops at the first
    /// failure, keeping the acknowledgements so far (and the server keeps the bytes so far).
    pub async fn upload_photos(
        &self,
        store: &mut Store,
        folder: &PhotoFolder,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let state = store.sync_state()?.ok_or(SyncError::NotEnrolled)?;
        let waiting: Vec<String> = store
            .photos_not_uploaded(&state.server)?
            .into_iter()
            .filter(|sha| folder.contains(sha))
            .collect();
        let mut report = SyncReport::default();
        let total = waiting.len();
        for (i, sha) in waiting.iter().enumerate() {
            let bytes = folder
                .read(sha, Variant::Display)
                .map_err(|e| SyncError::Photo {
                    sha256: sha.clone(),
                    message: e.to_string(),
                })?;
            report.photo_bytes += self.upload_photo(&state.token, sha, &bytes).await?;
            store.save_photo_uploaded(&state.server, sha)?;
            report.photos += 1;
            progress(Progress::Photos { done: i + 1, total });
        }
        Ok(report)
    }

    /// Uploads one display copy: asks the server what it holds (`HEAD`), then appends chunks
    /// from there (`PATCH`) until it says the copy is stored. Returns the bytes sent.
    async fn upload_photo(
        &self,
        token: &str,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<u64, SyncError> {
        const WHAT: &str = "the photo upload";
        let url = self.url(&format!("/v1/photos/{sha256}/display"));
        let digest = address_of(bytes);
        let length = bytes.len() as u64;
        let unreachable = |e: reqwest::Error| SyncError::Unreachable {
            server: self.server.clone(),
            message: e.to_string(),
        };
        let number = |r: &reqwest::Response, name: &str| -> Option<u64> {
            r.headers().get(name)?.to_str().ok()?.trim().parse().ok()
        };
        let head = self
            .http
            .head(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(unreachable)?;
        let mut offset = match head.status().as_u16() {
            200 => return Ok(0),
            404 => {
                // Resume only an upload of these very bytes; anything else starts again at 0.
                let same = number(&head, photo_headers::LENGTH) == Some(length)
                    && head
                        .headers()
                        .get(photo_headers::DIGEST)
                        .and_then(|v| v.to_str().ok())
                        == Some(digest.as_str());
                if same {
                    number(&head, photo_headers::OFFSET)
                        .unwrap_or(0)
                        .min(length)
                } else {
                    0
                }
            }
            status => {
                return Err(SyncError::Refused {
                    what: WHAT,
                    status,
                    code: String::new(),
                    message: format!("HEAD {url} answered {status}"),
                })
            }
        };
        let mut sent = 0u64;
        let mut conflicts = 0;
        loop {
            let start = offset as usize;
            let end = (start + PHOTO_CHUNK).min(bytes.len());
            let response = self
                .http
                .patch(&url)
                .bearer_auth(token)
                .header(photo_headers::OFFSET, offset)
                .header(photo_headers::LENGTH, length)
                .header(photo_headers::DIGEST, &digest)
                .body(bytes[start..end].to_vec())
                .send()
                .await
                .map_err(unreachable)?;
            sent += (end - start) as u64;
            let status = response.status().as_u16();
            let held = number(&response, photo_headers::OFFSET);
            let body = response.bytes().await.map_err(unreachable)?;
            match status {
                200 | 201 => {
                    let answer: PhotoUpload =
                        serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer {
                            what: WHAT,
                            message: e.to_string(),
                        })?;
                    if answer.complete {
                        return Ok(sent);
                    }
                    offset = answer.offset.min(length);
                }
                // Another offset than the server's (a request lost after the server took it),
                // or another upload of this copy under way: go on from where the server is,
                // or start again. A few times; more means something else is wrong.
                409 if conflicts < 3 => {
                    conflicts += 1;
                    let code = serde_json::from_slice::<ErrorBody>(&body)
                        .map(|e| e.error.code)
                        .unwrap_or_default();
                    offset = if code == "offset_mismatch" {
                        held.unwrap_or(0).min(length)
                    } else {
                        0
                    };
                }
                _ => return Err(refusal(WHAT, status, &body)),
            }
        }
    }

    /// Syncs, and after a temporary failure waits (with exponential backoff and jitter) and
    /// tries again, up to `backoff.attempts` times. A refusal is returned at once.
    pub async fn sync_with_retry(
        &self,
        store: &mut Store,
        backoff: Backoff,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let mut attempt = 0;
        loop {
            match self.sync(store, progress).await {
                Err(e) if e.is_temporary() && attempt + 1 < backoff.attempts => {
                    attempt += 1;
                    let jitter = (Uuid::now_v7().as_u128() % 1000) as f64 / 1000.0;
                    let delay = backoff.delay(attempt, jitter);
                    progress(Progress::Waiting { attempt, delay });
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// Sends a request and reads a JSON answer, or the server's JSON error.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SyncError> {
        let unreachable = |e: reqwest::Error| SyncError::Unreachable {
            server: self.server.clone(),
            message: e.to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer {
                what,
                message: e.to_string(),
            })
        } else {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => (e.error.code, e.error.message),
                Err(_) => (
                    String::new(),
                    String::from_utf8_lossy(&body).chars().take(200).collect(),
                ),
            };
            Err(SyncError::Refused {
                what,
                status: status.as_u16(),
                code,
                message,
            })
        }
    }
}

/// The error for a refusal: the server's JSON error, or the start of whatever it sent.
fn refusal(what: &'static str, status: u16, body: &[u8]) -> SyncError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => (e.error.code, e.error.message),
        Err(_) => (
            String::new(),
            String::from_utf8_lossy(body).chars().take(200).collect(),
        ),
    };
    SyncError::Refused {
        what,
        status,
        code,
        message,
    }
}
