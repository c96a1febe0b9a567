//! Reading a request's body once, within the size limit.

use crate::reply::Reply;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::{StatusCode, header};

use super::MAX_BODY;

/// The whole body, or the answer (413, 400) and the journal's words for why not.
/// `progress` is called as each piece of it arrives, so that the connection's idle
/// clock tells a body that is coming from one that stopped.
pub(super) async fn read_body(
    headers: &hyper::HeaderMap,
    body: Incoming,
    progress: impl Fn(),
) -> Result<Bytes, (Reply, String)> {
    let too_large = |size: String| {
        let why = format!("body of {size} refused: the limit is {MAX_BODY} bytes (1 MiB)");
        (Reply::error(StatusCode::PAYLOAD_TOO_LARGE, &why), why)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > MAX_BODY as u64) {
        return Err(too_large(format!("{n} bytes (Content-Length)")));
    }
    // A GET has no body: nothing to collect.
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    match collect(Limited::new(body, MAX_BODY), progress).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(too_large("more than 1 MiB".into()))
        }
        Err(e) => {
            let why = format!("the body could not be read: {e}");
            Err((Reply::error(StatusCode::BAD_REQUEST, &why), why))
        }
    }
}

/// The body's data. `BodyExt::collect` queues every frame first (a `VecDeque` per
/// request); a body of one frame, the usual case, is kept as it came, without a copy.
async fn collect(
    mut body: Limited<Incoming>,
    progress: impl Fn(),
) -> Result<Bytes, Box<dyn std::error::Error + Send + Sync>> {
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        progress();
        // Trailers carry no parameters.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        match &mut joined {
            Some(all) => all.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut all = BytesMut::with_capacity(first.len() + data.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                joined = Some(all);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}
