//! The photo routes: `HEAD`, `PATCH` and `GET /v1/photos/{sha256}/display`
//! (docs/sync-protocol.md, "Photos").

use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Authenticated;
use super::error::ApiError;
use super::AppState;
use crate::photos::{is_sha256, AppendError, Appended, BlobKey, Declared, PhotoStore};
use crate::protocol::{photo_headers, PhotoUpload, MAX_PHOTO_BYTES};

fn photo_store(state: &AppState) -> Result<&Arc<PhotoStore>, ApiError> {
    state.photos.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_photo_storage",
            "this server was started without photo storage (`buqi serve --photos DIR`); photos wait on the device until it has one",
        )
    })
}

fn key_of(sha256: &str) -> Result<BlobKey, ApiError> {
    BlobKey::display(sha256).ok_or_else(|| {
        ApiError::bad_request(
            "bad_address",
            "a photo's address is the SHA-256 of its original file: 64 lowercase hex digits",
        )
        .at("sha256")
    })
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

fn with_offset(mut response: Response, offset: u64) -> Response {
    response
        .headers_mut()
        .insert(photo_headers::OFFSET, number(offset));
    response
}

/// `HEAD /v1/photos/{sha256}/display`: 200 when the copy is stored (`Content-Length`); 404 when
/// not, with `Upload-Offset` the bytes of an upload in progress (0 if none) and, if one is,
/// its `Upload-Length` and `Upload-Digest`.
pub async fn head(
    State(state): State<AppState>,
    Authenticated(_auth): Authenticated,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let photos = photo_store(&state)?;
    let key = key_of(&sha256)?;
    if let Some(length) = photos.stored(&key).await.map_err(storage)? {
        let mut response = StatusCode::OK.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LENGTH, number(length));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
        headers.insert(photo_headers::OFFSET, number(length));
        headers.insert(photo_headers::LENGTH, number(length));
        return Ok(response);
    }
    let mut response = StatusCode::NOT_FOUND.into_response();
    let headers = response.headers_mut();
    match photos.partial(&key).await.map_err(storage)? {
        Some(partial) => {
            headers.insert(photo_headers::OFFSET, number(partial.offset));
            headers.insert(photo_headers::LENGTH, number(partial.declared.length));
            if let Ok(digest) = HeaderValue::from_str(&partial.declared.digest) {
                headers.insert(photo_headers::DIGEST, digest);
            }
        }
        None => {
            headers.insert(photo_headers::OFFSET, number(0));
        }
    }
    Ok(response)
}

fn storage(e: crate::photos::BlobError) -> ApiError {
    ApiError::internal("reach its photo storage", &e)
}

fn header_number(headers: &HeaderMap, name: &'static str) -> Result<u64, ApiError> {
    let value = headers.get(name).ok_or_else(|| {
        ApiError::bad_request(
            "missing_header",
            format!("an upload needs the headers Upload-Offset, Upload-Length and Upload-Digest; {name} is missing"),
        )
        .at(name)
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_header",
                format!("{name} must be a whole number of bytes"),
            )
            .at(name)
        })
}

/// `PATCH /v1/photos/{sha256}/display`: appends the body at `Upload-Offset` to the upload
/// declared by `Upload-Length` and `Upload-Digest`.
pub async fn patch(
    State(state): State<AppState>,
    Authenticated(_auth): Authenticated,
    Path(sha256): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let photos = photo_store(&state)?.clone();
    let key = key_of(&sha256)?;
    let headers = request.headers();
    let offset = header_number(headers, photo_headers::OFFSET)?;
    let length = header_number(headers, photo_headers::LENGTH)?;
    let digest = headers
        .get(photo_headers::DIGEST)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| is_sha256(v))
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_header",
                "Upload-Digest must be the SHA-256 of the whole copy: 64 hex digits",
            )
            .at(photo_headers::DIGEST)
        })?;
    if length == 0 {
        return Err(
            ApiError::bad_request("bad_header", "Upload-Length must be above 0")
                .at(photo_headers::LENGTH),
        );
    }
    if length > MAX_PHOTO_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("the copy is {length} bytes; this server takes photos up to {MAX_PHOTO_BYTES} bytes"),
        )
        .at(photo_headers::LENGTH));
    }
    let declared = Declared {
        length,
        digest: digest.clone(),
    };
    // Read and append in a task of its own: when the connection is cut, the server drops this
    // handler, but the bytes that did arrive are still appended, so the device resumes after
    // them instead of sending the whole chunk again (what keeps a flaky network's overhead to
    // the requests' headers).
    let limit = state.config.max_body_bytes;
    let (k, d) = (key.clone(), declared.clone());
    let received = tokio::spawn(async move {
        let (bytes, cut) = receive(request.into_body(), limit).await?;
        if cut && bytes.is_empty() {
            return Ok(None);
        }
        Ok(Some(photos.append(&k, &d, offset, Arc::from(bytes)).await))
    })
    .await
    .map_err(|e| ApiError::internal("take the upload's bytes", &e))??;
    let Some(appended) = received else {
        return Err(ApiError::bad_request(
            "unreadable_body",
            "the connection was cut before any of the chunk arrived",
        ));
    };
    let answer = |status: StatusCode, offset: u64, digest: String, complete: bool| {
        let body = PhotoUpload {
            sha256: key.sha256.clone(),
            variant: key.variant.to_owned(),
            offset,
            length: if complete { offset } else { length },
            digest,
            complete,
        };
        with_offset((status, Json(body)).into_response(), offset)
    };
    match appended {
        Ok(Appended::Partial { offset }) => Ok(answer(StatusCode::OK, offset, digest, false)),
        Ok(Appended::Completed { length }) => {
            Ok(answer(StatusCode::CREATED, length, digest, true))
        }
        Ok(Appended::AlreadyStored { length, digest }) => {
            Ok(answer(StatusCode::OK, length, digest, true))
        }
        Err(AppendError::OffsetMismatch { held, sent }) => Ok(with_offset(
            ApiError::new(
                StatusCode::CONFLICT,
                "offset_mismatch",
                format!("the server holds {held} bytes of this upload, not {sent}: send from byte {held} (the Upload-Offset header)"),
            )
            .at(photo_headers::OFFSET)
            .into_response(),
            held,
        )),
        Err(AppendError::OtherUpload { held }) => Ok(with_offset(
            ApiError::new(
                StatusCode::CONFLICT,
                "upload_mismatch",
                format!(
                    "an upload of this copy with another length or digest is in progress ({} of {} bytes, digest {}); to replace it, start again from byte 0",
                    held.offset, held.declared.length, held.declared.digest
                ),
            )
            .at(photo_headers::DIGEST)
            .into_response(),
            held.offset,
        )),
        Err(e @ AppendError::PastEnd { .. }) => Err(ApiError::bad_request(
            "past_end",
            format!("{e}; nothing was written"),
        )
        .at(photo_headers::LENGTH)),
        Err(e @ AppendError::DigestMismatch { .. }) => Err(ApiError::bad_request(
            "digest_mismatch",
            format!("{e}: the copy was not stored and the upload was discarded; upload it again from byte 0"),
        )
        .at(photo_headers::DIGEST)),
        Err(AppendError::Storage(e)) => Err(storage(e)),
    }
}

/// A request's body as far as it arrives, and whether it was cut short (the connection broke,
/// or the body could not be read further): the bytes before the break are the client's, in order.
async fn receive(mut body: Body, limit: usize) -> Result<(Vec<u8>, bool), ApiError> {
    let mut bytes = Vec::new();
    loop {
        match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            None => return Ok((bytes, false)),
            Some(Err(_)) => return Ok((bytes, true)),
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if bytes.len() + data.len() > limit {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!(
                            "the chunk is larger than this server takes in one request ({limit} bytes); send smaller chunks"
                        ),
                    ));
                }
                bytes.extend_from_slice(&data);
            }
        }
    }
}

/// A `Range: bytes=…` header against a copy of `length` bytes: `None` for the whole copy,
/// `Some(Ok(start..end))` for one satisfiable range, `Some(Err(()))` when unsatisfiable. Several
/// ranges, or a header that does not parse, are ignored (the whole copy is sent, as HTTP allows).
pub fn parse_range(value: Option<&str>, length: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value?.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 || length == 0 {
            return Some(Err(()));
        }
        (length.saturating_sub(suffix), length)
    } else {
        let start: u64 = first.parse().ok()?;
        let end = if last.is_empty() {
            length
        } else {
            let last: u64 = last.parse().ok()?;
            if last < start {
                return None;
            }
            last.saturating_add(1).min(length)
        };
        if start >= length {
            return Some(Err(()));
        }
        (start, end)
    };
    Some(Ok(range))
}

/// `GET /v1/photos/{sha256}/display`: the stored copy, or the part a `Range` asks (206), for a
/// device whose communities have a record of the photo.
pub async fn get(
    State(state): State<AppState>,
    Authenticated(auth): Authenticated,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let photos = photo_store(&state)?;
    let key = key_of(&sha256)?;
    // Before "not stored": whether a photo exists is not for a device outside its communities.
    let visible = state
        .store
        .photo_visible(auth.user.id, &key.sha256)
        .await
        .map_err(|e| ApiError::from_store(e, "look up the photo's record"))?;
    if !visible {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_photo",
            format!(
                "no community that user {:?} syncs (assigned, in {}) has a photo record with the address {}: a device downloads only its communities' photos",
                auth.user.name, auth.user.city, key.sha256
            ),
        )
        .at("sha256"));
    }
    let not_stored = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "photo_not_stored",
            "the server does not have this photo (yet): the device that took it has not finished uploading it",
        )
    };
    let length = photos
        .stored(&key)
        .await
        .map_err(storage)?
        .ok_or_else(not_stored)?;
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        length,
    );
    let (status, range) = match range {
        None => (StatusCode::OK, None),
        Some(Ok(range)) => (StatusCode::PARTIAL_CONTENT, Some(range)),
        Some(Err(())) => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the copy is {length} bytes; the Range asked is outside it"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(response);
        }
    };
    let bytes = photos
        .read(&key, range)
        .await
        .map_err(storage)?
        .ok_or_else(not_stored)?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some((start, end)) = range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{length}", end - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), None);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Some(Ok((0, 10))));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Some(Ok((90, 100))));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Some(Ok((90, 100))));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Some(Ok((0, 100))));
        assert_eq!(parse_range(Some("bytes=50-500"), 100), Some(Ok((50, 100))));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Some(Err(())));
        assert_eq!(parse_range(Some("bytes=-0"), 100), Some(Err(())));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), None);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), None);
        assert_eq!(parse_range(Some("items=0-3"), 100), None);
    }
}
