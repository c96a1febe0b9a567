//! Faults that take an answer's place: a late answer, an error status, a broken or
//! half body, a dropped connection.

use crate::faults::{AnswerFault, IIS_ERROR_PAGE, When};
use crate::reply::{Failure, HTML, JSON, JournalNotes, Reply};
use crate::request::Request;
use crate::routes::{Door, Route, route};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Either, StreamBody};
use hyper::body::Frame;
use hyper::{Response, StatusCode, header};
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, NoAnswer, Outcome, Services, dispatch, record};

/// A `latency` fault. The client may give up during the delay, and hyper then drops
/// the request's future; a real server would finish the request all the same. So
/// the simulator finishes it in a task of its own — the handler runs (before or
/// after the delay) and the exchange is journaled — and answers if the client is
/// still there.
pub(super) async fn answer_late(
    app: Arc<Services>,
    request: Request,
    when: When,
    delay: Duration,
    mut notes: JournalNotes,
    at: jiff::Timestamp,
    started: Instant,
) -> Result<Response<Body>, NoAnswer> {
    let late = tokio::spawn(async move {
        let route = route(request.path());
        if when == When::Before {
            tokio::time::sleep(delay).await;
        }
        let reply = dispatch(&app, route, &request, &mut notes).await;
        if when == When::After {
            tokio::time::sleep(delay).await;
        }
        let outcome = Outcome::Answer(reply);
        app.journal
            .record(record(request, &outcome, notes, at, started));
        outcome
    });
    match late.await {
        Ok(Outcome::Answer(reply)) => Ok(reply.into_response().map(Either::Left)),
        _ => Err(NoAnswer("fault: the delayed request failed")),
    }
}

/// A fault that takes the answer's place, before or after the handler.
pub(super) async fn inject(
    app: &Services,
    fault: AnswerFault,
    when: When,
    route: Route<'_>,
    req: &Request,
    notes: &mut JournalNotes,
) -> Outcome {
    let handled = match when {
        When::After => Some(dispatch(app, route, req, notes).await),
        When::Before => None,
    };
    match fault {
        AnswerFault::Status {
            status,
            retry_after,
        } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reply = Reply::error(code, code.canonical_reason().unwrap_or("error"));
            Outcome::Answer(match retry_after {
                Some(secs) => reply.with_header(header::RETRY_AFTER, secs.to_string()),
                None => reply,
            })
        }
        AnswerFault::Envelope { message } => Outcome::Answer(Reply::failure(&message)),
        AnswerFault::Code { code } => Outcome::Answer(coded(code, route)),
        AnswerFault::MalformedJson => {
            let mut reply = Reply::failure("");
            reply.body = Bytes::from_static(b"{\"status\":\"success\",\"result\":");
            Outcome::Answer(reply)
        }
        // An answer without a body (a redirect) has nothing to cut: the connection
        // drops instead.
        AnswerFault::Truncated if handled.as_ref().is_some_and(|r| r.body.is_empty()) => {
            Outcome::Close
        }
        AnswerFault::Truncated => Outcome::Cut(handled.unwrap_or_else(|| {
            Reply::json_body(br#"{"status":"success","result":0,"data":[]}"#.to_vec())
        })),
        AnswerFault::HtmlError => Outcome::Answer(Reply {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            content_type: HTML,
            body: Bytes::from_static(IIS_ERROR_PAGE.as_bytes()),
            headers: vec![(header::SERVER, "Microsoft-IIS/10.0".into())],
        }),
        AnswerFault::Close => Outcome::Close,
        AnswerFault::Reset => Outcome::Reset,
        AnswerFault::Hang => Outcome::Hang,
        AnswerFault::Respond {
            status,
            headers,
            body,
        } => Outcome::Answer(stubbed(status, headers, body)),
    }
}

/// A `respond` fault's answer, as written (the spec was validated when added).
fn stubbed(status: u16, headers: BTreeMap<String, String>, body: String) -> Reply {
    let headers = headers
        .into_iter()
        .filter_map(|(name, value)| Some((header::HeaderName::try_from(name).ok()?, value)))
        .collect();
    Reply {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        content_type: JSON,
        body: Bytes::from(body),
        headers,
    }
}

/// How much of a `truncated` answer of `len` bytes is sent: the first half. The
/// answer and the journal's record of it both go by this.
pub(super) fn cut_at(len: usize) -> usize {
    len / 2
}

/// The response for the `truncated` fault: `Content-Length` of the whole body, half of
/// it sent and flushed, then an error, which makes hyper drop the connection.
pub(super) fn cut(reply: Reply) -> Response<Body> {
    let Reply {
        status,
        content_type,
        body,
        headers: extra,
    } = reply;
    let whole = body.len();
    let half = body.slice(..cut_at(whole));
    let first = futures_util::stream::iter([Ok(Frame::data(half))]);
    let then_fail = futures_util::stream::once(async {
        // Long enough for the head and the first half to reach the client.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(io::Error::other("fault: body cut mid-way"))
    });
    let body = StreamBody::new(first.chain(then_fail));
    let mut response = Response::new(Either::Right(BodyExt::boxed_unsync(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(whole));
    for (name, value) in extra {
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// A `code` fault's answer, in the shape of the door it struck: the bare code as
/// text on `/v1/submit`, Lead.IM's failure envelope with the code elsewhere.
fn coded(code: i32, route: Route<'_>) -> Reply {
    match route {
        Route::Api(api) if api.door == Door::V1 => Reply::text(code.to_string()),
        _ => {
            let meaning = crate::error::code_meaning(code).unwrap_or("error");
            Reply::json(StatusCode::OK, &Failure::new(meaning, Some(code)))
        }
    }
}
