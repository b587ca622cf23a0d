//! Rate limits: how fast one device may call, and how fast anyone may try enrollment codes.
//! Over the limit is 429 with a message; the app treats it as temporary and backs off.

use std::num::NonZeroU32;

use axum::http::StatusCode;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use super::error::ApiError;
use super::Config;

/// The server's limiters (in memory: each `buqi serve` process limits what reaches it).
pub struct Limits {
    devices: DefaultKeyedRateLimiter<Uuid>,
    enrollments: DefaultDirectRateLimiter,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let one = NonZeroU32::MIN;
        let per_second = NonZeroU32::new(config.device_requests_per_second).unwrap_or(one);
        let burst = NonZeroU32::new(config.device_burst).unwrap_or(per_second);
        let enrollments = NonZeroU32::new(config.enrollments_per_minute).unwrap_or(one);
        Limits {
            devices: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            enrollments: RateLimiter::direct(Quota::per_minute(enrollments)),
        }
    }

    /// One more request from this device, or 429.
    pub fn device(&self, device: Uuid) -> Result<(), ApiError> {
        self.devices.check_key(&device).map_err(|_| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("device {device} sends requests faster than this server takes them; wait a few seconds and try again"),
            )
        })
    }

    /// One more enrollment attempt, or 429.
    pub fn enrollment(&self) -> Result<(), ApiError> {
        self.enrollments.check().map_err(|_| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many enrollment attempts on this server just now; wait a minute and try again",
            )
        })
    }
}
