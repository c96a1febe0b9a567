//! Answers, and what each exchange leaves for the journal.

use crate::journal::Diagnostic;
use crate::request::ParamsUsed;
use crate::routes::{Door, Endpoint};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header};
use serde::Serialize;

/// `Content-Type` of every JSON answer: the contract asks for an explicit charset.
pub const JSON: &str = "application/json; charset=utf-8";
/// `Content-Type` of the lead pages.
pub const HTML: &str = "text/html; charset=utf-8";
/// `Content-Type` of `/v1/submit`'s answers: a lead id or a code, as text.
pub const TEXT: &str = "text/plain; charset=utf-8";

/// An answer before it becomes a hyper response.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Bytes,
    /// Extra headers (`Location`, `Allow`, `Retry-After`).
    pub headers: Vec<(header::HeaderName, String)>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        let body = serde_json::to_vec(value).unwrap_or_else(|e| {
            format!(r#"{{"status":"failure","error":"cannot encode the answer: {e}"}}"#)
                .into_bytes()
        });
        Reply {
            status,
            content_type: JSON,
            body: Bytes::from(body),
            headers: Vec::new(),
        }
    }

    /// Lead.IM's failure envelope, answered with HTTP 200 as the real service does.
    pub fn failure(message: &str) -> Reply {
        Reply::json(StatusCode::OK, &Failure::new(message, None))
    }

    /// `{"status":"success"}`.
    pub fn success() -> Reply {
        Reply::json_bytes(Bytes::from_static(br#"{"status":"success"}"#))
    }

    /// `{"status":"success","result":<lid>}`, the answer of `/v2/submit`.
    pub fn success_result(lid: u64) -> Reply {
        let mut body = Vec::with_capacity(48);
        body.extend_from_slice(br#"{"status":"success","result":"#);
        body.extend_from_slice(itoa::Buffer::new().format(lid).as_bytes());
        body.push(b'}');
        Reply::json_bytes(Bytes::from(body))
    }

    /// HTTP 200 with a JSON body already written.
    pub fn json_body(body: Vec<u8>) -> Reply {
        Reply::json_bytes(Bytes::from(body))
    }

    fn json_bytes(body: Bytes) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: JSON,
            body,
            headers: Vec::new(),
        }
    }

    /// An error of the simulator's own (transport-level abuse, admin API): a real
    /// HTTP status with a JSON body naming the problem.
    pub fn error(status: StatusCode, message: &str) -> Reply {
        Reply::json(status, &Failure::new(message, None))
    }

    /// 405 for a known path asked with a method it does not take.
    pub fn method_not_allowed(method: &hyper::Method, path: &str, allow: &'static str) -> Reply {
        Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("method {method} not allowed on {path}; use {allow}"),
        )
        .with_header(header::ALLOW, allow)
    }

    /// An HTML page.
    pub fn html(status: StatusCode, page: String) -> Reply {
        Reply {
            status,
            content_type: HTML,
            body: Bytes::from(page),
            headers: Vec::new(),
        }
    }

    /// Text: `/v1/submit`'s lead id or negative code.
    pub fn text(body: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: TEXT,
            body: Bytes::from(body),
            headers: Vec::new(),
        }
    }

    /// No body (a CORS preflight's 204).
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            content_type: TEXT,
            body: Bytes::new(),
            headers: Vec::new(),
        }
    }

    /// A redirect.
    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: StatusCode::FOUND,
            content_type: HTML,
            body: Bytes::new(),
            headers: vec![(header::LOCATION, location.to_owned())],
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The hyper response.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(self.content_type),
        );
        for (name, value) in self.headers {
            // Values are ours (URLs through the URL parser, numbers, method lists);
            // one that still is not a valid header value is left out, not sent.
            // A stub's own `Content-Type` replaces the default one.
            if let Ok(value) = header::HeaderValue::try_from(value) {
                if name == header::CONTENT_TYPE {
                    headers.insert(name, value);
                } else {
                    headers.append(name, value);
                }
            }
        }
        response
    }
}

/// The failure envelope: `{"status":"failure","error":…}`, with `code` on
/// `/v2/submit`.
#[derive(Debug, Serialize)]
pub struct Failure<'a> {
    status: &'static str,
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i32>,
}

impl<'a> Failure<'a> {
    /// The envelope for `error`, with `/v2/submit`'s `code` when there is one.
    pub fn new(error: &'a str, code: Option<i32>) -> Failure<'a> {
        Failure {
            status: "failure",
            error,
            code,
        }
    }
}

/// What a handler leaves for the journal besides the request and the answer.
#[derive(Debug, Default)]
pub struct JournalNotes {
    /// The endpoint the path names, whatever the method.
    pub endpoint: Option<Endpoint>,
    /// Which of the endpoint's doors.
    pub door: Option<Door>,
    /// The account concerned, once known.
    pub account: Option<u64>,
    /// Which parameters were decoded (the journal decodes them again when read).
    pub params: ParamsUsed,
    /// Plain-words diagnostics, each an error or a note.
    pub diagnostics: Vec<Diagnostic>,
    /// The injected fault, if any.
    pub fault: Option<String>,
}

impl JournalNotes {
    /// Adds a note: the request was taken, but something was ignored, cut or
    /// unknown.
    pub fn note(&mut self, text: impl Into<String>) {
        self.diagnostics.push(Diagnostic::note(text));
    }

    /// Adds an error: the request was wrong (refused, no such endpoint, a bad token).
    pub fn error(&mut self, text: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(text));
    }

    /// Adds each of `texts` as a note.
    pub fn notes(&mut self, texts: impl IntoIterator<Item = String>) {
        self.diagnostics
            .extend(texts.into_iter().map(Diagnostic::note));
    }
}
