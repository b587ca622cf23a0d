//! `buqi serve`: protocol v1 over HTTP (docs/sync-protocol.md).

mod auth;
mod body;
mod error;
pub mod limit;
mod photo_routes;
mod routes;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

pub use error::ApiError;

use crate::clock::{ServerClock, DEFAULT_MAX_AHEAD_SECS};
use crate::photos::PhotoStore;
use crate::store::Store;

/// Every route of protocol v1: method and path. docs/openapi.yaml lists the same (a test checks).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/health"),
    ("POST", "/v1/enroll"),
    ("POST", "/v1/changes"),
    ("GET", "/v1/changes"),
    ("HEAD", "/v1/photos/{sha256}/display"),
    ("PATCH", "/v1/photos/{sha256}/display"),
    ("GET", "/v1/photos/{sha256}/display"),
];

/// The largest request body the server reads, by default: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The most changes one push may hold, by default.
pub const DEFAULT_MAX_BATCH: usize = 5000;

/// The server's limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// A larger request body is answered 413.
    pub max_body_bytes: usize,
    /// A push with more changes is answered 413.
    pub max_batch: usize,
    /// How far ahead of the server's clock a change's reading may be before it is capped.
    pub max_ahead_secs: u64,
    /// Requests per second one device may make on average, and in a burst; more are answered
    /// 429 (the app waits and tries again).
    pub device_requests_per_second: u32,
    pub device_burst: u32,
    /// Enrollment attempts per minute, from everyone together: codes are random, but nobody
    /// should get to guess at speed.
    pub enrollments_per_minute: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch: DEFAULT_MAX_BATCH,
            max_ahead_secs: DEFAULT_MAX_AHEAD_SECS,
            // A tablet's sync is a few requests a second (pages, photo chunks); a burst covers
            // a catch-up after days offline.
            device_requests_per_second: 100,
            device_burst: 400,
            enrollments_per_minute: 600,
        }
    }
}

/// What every request handler has.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<ServerClock>,
    pub config: Arc<Config>,
    /// Where photos are kept; `None` (no `--photos`): the photo routes answer 503.
    pub photos: Option<Arc<PhotoStore>>,
    pub limits: Arc<limit::Limits>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        AppState {
            store,
            clock: Arc::new(ServerClock::new()),
            limits: Arc::new(limit::Limits::new(&config)),
            config: Arc::new(config),
            photos: None,
        }
    }

    /// The same, keeping photos in `photos`.
    pub fn with_photos(mut self, photos: PhotoStore) -> AppState {
        self.photos = Some(Arc::new(photos));
        self
    }
}

/// The routes, their fallbacks and the body limit.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/v1/health", get(routes::health))
        .route("/v1/enroll", post(routes::enroll))
        .route("/v1/changes", post(routes::push).get(routes::pull))
        .route(
            "/v1/photos/{sha256}/display",
            get(photo_routes::get)
                .head(photo_routes::head)
                .patch(photo_routes::patch),
        )
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::wrong_method)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests under way.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
