//! Reading a request's JSON body, with errors that say where in the body the problem is.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::ApiError;
use super::AppState;

/// A JSON body read into `T`; any problem is a 400 naming where it is, or a 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<JsonBody<T>, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!(
                            "the request body is larger than this server takes ({} bytes); send fewer changes per batch",
                            state.config.max_body_bytes
                        ),
                    )
                } else {
                    ApiError::bad_request(
                        "unreadable_body",
                        format!("the request body could not be read: {}", rejection.body_text()),
                    )
                }
            })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Reads JSON into `T`, refusing trailing text.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "bad_json",
            "the request has no body; send a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer.end().map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("the body has more after its JSON value: {e}"),
        )
    })?;
    Ok(value)
}

fn describe(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let at = (path != ".").then_some(path.clone());
    let error = match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("bad_json", format!("the body is not valid JSON: {inner}"))
        }
        Category::Data => {
            let text = inner.to_string();
            let code = if text.starts_with("unknown field") {
                "unknown_field"
            } else if text.starts_with("missing field") {
                "missing_field"
            } else if path.ends_with("hlc") {
                "bad_hlc"
            } else {
                "bad_value"
            };
            let message = match &at {
                Some(path) => format!("{path}: {text}"),
                None => text,
            };
            ApiError::bad_request(code, message)
        }
    };
    match at {
        Some(path) => error.at(path),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PushRequest;

    fn error_of(text: &str) -> ApiError {
        match parse::<PushRequest>(text.as_bytes()) {
            Ok(_) => panic!("{text} was read"),
            Err(e) => e,
        }
    }

    const CHANGE: &str = r#"{"community":"0190c3a0-0000-7000-8000-000000000001","kind":"facility",
        "entity":"0190c3a0-0000-7000-8000-000000000002","field":"name","value":"卫生站",
        "hlc":"66f0c1a2b3c4d5e6","device":"0190c3a0-0000-7000-8000-0000000000ff"}"#;

    fn batch(changes: &[&str]) -> String {
        format!(
            r#"{{"batch":"0190c3a0-0000-7000-8000-0000000000aa","changes":[{}]}}"#,
            changes.join(",")
        )
    }

    #[test]
    fn a_good_batch_reads() {
        let request: PushRequest = parse(batch(&[CHANGE, CHANGE]).as_bytes()).unwrap();
        assert_eq!(request.changes.len(), 2);
    }

    #[test]
    fn errors_say_where() {
        let bad_hlc = CHANGE.replace("66f0c1a2b3c4d5e6", "soon");
        let e = error_of(&batch(&[CHANGE, &bad_hlc]));
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("bad_hlc", Some("changes[1].hlc"))
        );
        assert!(e.message.contains("16 hex digits"), "{}", e.message);

        let extra = CHANGE.replace(r#""field""#, r#""colour":1,"field""#);
        let e = error_of(&batch(&[&extra]));
        assert_eq!(e.code, "unknown_field");
        assert!(e.message.contains("colour"), "{}", e.message);
        assert!(
            e.field.as_deref().unwrap().starts_with("changes[0]"),
            "{e:?}"
        );

        let missing = CHANGE.replace(r#""field":"name","#, "");
        let e = error_of(&batch(&[&missing]));
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("missing_field", Some("changes[0]"))
        );

        let kind = CHANGE.replace("facility", "castle");
        let e = error_of(&batch(&[&kind]));
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("bad_value", Some("changes[0].kind"))
        );

        let e = error_of(&batch(&[CHANGE])[..40]);
        assert_eq!(e.code, "bad_json");
        let e = error_of(&format!("{} x", batch(&[CHANGE])));
        assert_eq!(e.code, "bad_json");
        let e = error_of("");
        assert_eq!(e.code, "bad_json");
        let e = error_of("[]");
        assert_eq!((e.code, e.field), ("bad_value", None));
    }
}
