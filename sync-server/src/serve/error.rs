//! Errors as the protocol answers them: a status and `{"error": {"code", "message", "field"?}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::merge::Refusal;
use crate::protocol::{ErrorBody, ErrorDetail};
use crate::store::StoreError;

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// The same error, about one place in the request.
    pub fn at(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// A failure of the server, not of the request: logged, and answered without its details.
    pub fn internal(what: &str, error: &dyn std::fmt::Display) -> ApiError {
        eprintln!("buqi serve: {what}: {error}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the server failed to {what}; nothing was changed; try again later (the server's log has the details)"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl ApiError {
    /// The answer to a store error, for a request that was trying to `what`.
    pub fn from_store(error: StoreError, what: &str) -> ApiError {
        let message = error.to_string();
        match error {
            StoreError::Refused(refusal) => {
                let (status, code) = match &refusal {
                    Refusal::WrongDevice { .. } => (StatusCode::FORBIDDEN, "wrong_device"),
                    Refusal::ForbiddenCommunity { .. } => {
                        (StatusCode::FORBIDDEN, "forbidden_community")
                    }
                    Refusal::OtherCity { .. } => (StatusCode::FORBIDDEN, "other_city"),
                    Refusal::BadField { .. } => (StatusCode::BAD_REQUEST, "bad_field"),
                    Refusal::StampReused { .. } => (StatusCode::CONFLICT, "stamp_reused"),
                    Refusal::EntityMismatch { .. } => (StatusCode::CONFLICT, "entity_mismatch"),
                };
                ApiError::new(status, code, message).at(refusal.field_path())
            }
            StoreError::Revoked { .. } => ApiError::unauthorized("device_revoked", message),
            StoreError::CodeUnknown => ApiError::unauthorized("bad_code", message).at("code"),
            StoreError::CodeUsed { .. } => ApiError::unauthorized("code_used", message).at("code"),
            StoreError::CodeExpired { .. } => {
                ApiError::unauthorized("code_expired", message).at("code")
            }
            StoreError::DeviceTaken { .. } => {
                ApiError::new(StatusCode::CONFLICT, "device_taken", message).at("device")
            }
            StoreError::CursorAhead { .. } => {
                ApiError::new(StatusCode::CONFLICT, "cursor_ahead", message).at("after")
            }
            StoreError::Unavailable(_) | StoreError::Open { .. } => {
                eprintln!("buqi serve: {what}: {message}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    format!("the server's database did not answer, so it could not {what}; nothing was changed; try again later"),
                )
            }
            StoreError::TooNew { .. }
            | StoreError::Database(_)
            | StoreError::Corrupt(_)
            | StoreError::NoUser(_)
            | StoreError::NoCommunity(_)
            | StoreError::AmbiguousCommunity { .. }
            | StoreError::OtherCity { .. }
            | StoreError::NoDevice(_)
            | StoreError::UserExists(_)
            | StoreError::CommunityExists(_) => ApiError::internal(what, &message),
        }
    }
}
