//! The handlers of protocol v1's routes.

use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Json;
use chrono::Utc;

use super::auth::Authenticated;
use super::body::JsonBody;
use super::error::ApiError;
use super::{AppState, ROUTES};
use crate::protocol::{
    EnrollRequest, EnrollResponse, Health, PullResponse, PushRequest, PushResponse,
    DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, VERSION,
};
use crate::secret::{code_hash, new_token, token_hash};
use crate::store::PushContext;

/// The longest device name the server takes, in characters.
const MAX_NAME_CHARS: usize = 100;

/// `GET /v1/health`.
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::from_store(e, "reach its database"))?;
    Ok(Json(Health {
        status: "ok".into(),
        protocol: VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
        database: state.store.backend().into(),
    }))
}

/// `POST /v1/enroll`.
pub async fn enroll(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    state.limits.enrollment()?;
    let name = request.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "bad_value",
            format!("name: the device's name must be 1 to {MAX_NAME_CHARS} characters, without control characters"),
        )
        .at("name"));
    }
    if request.device.is_nil() {
        return Err(ApiError::bad_request(
            "bad_value",
            "device: the nil UUID is not a device id; make one (UUIDv7) when the app is installed",
        )
        .at("device"));
    }
    let token = new_token().map_err(|e| ApiError::internal("make a device token", &e))?;
    let enrolled = state
        .store
        .enroll(
            &code_hash(&request.code),
            request.device,
            name,
            &token_hash(&token),
            Utc::now(),
        )
        .await
        .map_err(|e| ApiError::from_store(e, "enroll the device"))?;
    Ok(Json(EnrollResponse {
        token,
        user: enrolled.user.info(),
        role: enrolled.user.role,
        communities: enrolled.communities.iter().map(|c| c.info()).collect(),
    }))
}

/// `POST /v1/changes`.
pub async fn push(
    State(state): State<AppState>,
    Authenticated(auth): Authenticated,
    JsonBody(request): JsonBody<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let max = state.config.max_batch;
    if request.changes.len() > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_changes",
            format!(
                "the batch has {} changes, more than this server takes at once ({max}); split it",
                request.changes.len()
            ),
        )
        .at("changes"));
    }
    let cx = PushContext {
        auth: &auth,
        batch: request.batch,
        now: state.clock.now(),
        max_ahead_secs: state.config.max_ahead_secs,
        at: Utc::now(),
    };
    let outcome = state
        .store
        .push(&cx, request.changes)
        .await
        .map_err(|e| ApiError::from_store(e, "apply the batch"))?;
    Ok(Json(PushResponse {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        last_seq: outcome.last_seq,
    }))
}

/// `GET /v1/changes?after=SEQ&limit=N`.
pub async fn pull(
    State(state): State<AppState>,
    Authenticated(auth): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<PullResponse>, ApiError> {
    let (after, limit) = pull_query(query.as_deref())?;
    let pulled = state
        .store
        .pull(auth.user.id, after, limit)
        .await
        .map_err(|e| ApiError::from_store(e, "read the changes"))?;
    Ok(Json(PullResponse {
        changes: pulled.changes,
        next: pulled.next,
        communities: pulled.communities.iter().map(|c| c.info()).collect(),
    }))
}

/// A parameter's value as it may be quoted in a message.
fn shown(value: &str) -> String {
    let mut text: String = value.chars().take(40).collect();
    if text.len() < value.len() {
        text.push('…');
    }
    format!("{text:?}")
}

/// `after` (default 0) and `limit` (default [`DEFAULT_PULL_LIMIT`]) from a pull's query.
fn pull_query(query: Option<&str>) -> Result<(i64, usize), ApiError> {
    let (mut after, mut limit) = (0i64, DEFAULT_PULL_LIMIT);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "after" => {
                after = value
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "bad_parameter",
                            format!(
                                "after must be a sequence number (a whole number, 0 or more), not {}",
                                shown(value)
                            ),
                        )
                        .at("after")
                    })?;
            }
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|v| (1..=MAX_PULL_LIMIT).contains(v))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "bad_parameter",
                            format!(
                                "limit must be a whole number from 1 to {MAX_PULL_LIMIT}, not {}",
                                shown(value)
                            ),
                        )
                        .at("limit")
                    })?;
            }
            other => {
                return Err(ApiError::bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown query parameter {}: GET /v1/changes takes after and limit",
                        shown(other)
                    ),
                )
                .at(shown(other).trim_matches('"').to_owned()))
            }
        }
    }
    Ok((after, limit))
}

fn route_list() -> String {
    ROUTES
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Any path that is not a route.
pub async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_route",
        format!(
            "there is no {method} {}; protocol v1 has {}",
            uri.path(),
            route_list()
        ),
    )
}

/// A route asked with a method it does not take.
pub async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not take {method}; protocol v1 has {}",
            uri.path(),
            route_list()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_queries() {
        assert_eq!(pull_query(None).unwrap(), (0, DEFAULT_PULL_LIMIT));
        assert_eq!(pull_query(Some("after=42&limit=7")).unwrap(), (42, 7));
        let e = pull_query(Some("after=-1")).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("bad_parameter", Some("after"))
        );
        let e = pull_query(Some("limit=0")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("limit"));
        let e = pull_query(Some(&format!("limit={}", MAX_PULL_LIMIT + 1))).unwrap_err();
        assert_eq!(e.code, "bad_parameter");
        let e = pull_query(Some("since=3")).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("unknown_parameter", Some("since"))
        );
        let long = "9".repeat(1000);
        let e = pull_query(Some(&format!("after={long}"))).unwrap_err();
        assert!(e.message.len() < 200, "{}", e.message);
    }
}
