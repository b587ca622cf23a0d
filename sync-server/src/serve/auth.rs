//! Who is asking: the device token in `Authorization: Bearer …`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::secret::token_hash;
use crate::store::{DeviceAuth, StoreError};

/// The enrolled, unrevoked device a request comes from.
pub struct Authenticated(pub DeviceAuth);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Authenticated, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "unauthenticated",
                "this request needs the device's token: send `Authorization: Bearer <token>` with the token POST /v1/enroll gave",
            ));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|text| text.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "unauthenticated",
                    "the Authorization header must be `Bearer <token>`, with the token POST /v1/enroll gave",
                )
            })?;
        let auth = state
            .store
            .authenticate(&token_hash(token))
            .await
            .map_err(|e| ApiError::from_store(e, "check the device's token"))?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "bad_token",
                    "the server does not know this token (it is mistyped, or the device was enrolled again since, which replaces its token); enroll the device again",
                )
            })?;
        state.limits.device(auth.device)?;
        if let Some(at) = auth.revoked_at {
            return Err(ApiError::from_store(
                StoreError::Revoked {
                    device: auth.device,
                    at,
                },
                "check the device's token",
            ));
        }
        Ok(Authenticated(auth))
    }
}
