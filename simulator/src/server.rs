//! Connections, body reading and dispatch: accept → hyper connection task → body read
//! once (1 MiB limit) into our [`Request`] → route → handler → journal.

use crate::admin;
use crate::api;
use crate::journal::{Journal, JournalEntry, mask_token};
use crate::reply::{Exchange, Reply};
use crate::request::Request;
use crate::routes::{Route, route};
use crate::store::Store;
use crate::ui;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest body accepted; larger ones get 413.
pub const MAX_BODY: usize = 1024 * 1024;
/// Most connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// Everything a request handler can reach.
#[derive(Debug)]
pub(crate) struct App {
    pub store: Store,
    pub journal: Journal,
    /// `http://host:port` once bound: the fallback when a request has no `Host`.
    pub base_url: OnceLock<String>,
}

impl App {
    /// The base URL for links and crmConfigs: the request's `Host` when given, so a
    /// simulator reached under another name (a container, a tunnel) hands out URLs
    /// that work for the caller.
    pub fn base_url_for(&self, req: &Request) -> String {
        match req.headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(host) if !host.is_empty() => format!("http://{host}"),
            _ => self.base_url.get().cloned().unwrap_or_default(),
        }
    }
}

/// Serves `listener` until `shutdown` resolves, then lets requests in flight finish
/// (up to 10 s) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = service_fn(move |req| handle(app.clone(), req));
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still busy after {DRAIN:?}; closing them");
    }
    Ok(())
}

async fn handle(
    app: Arc<App>,
    req: hyper::Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let at = jiff::Timestamp::now();
    let (parts, body) = req.into_parts();
    let body = read_body(&parts.headers, body).await;
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    let route = route(&request.path);
    let mut ex = Exchange::default();
    let reply = match body {
        Err(reply) => {
            ex.note(format!("{}", reply.body_text()));
            reply
        }
        Ok(_) => dispatch(&app, route, &request, &mut ex).await,
    };
    if route.is_api() {
        app.journal.record(entry(&request, &reply, ex, at, started));
    }
    Ok(reply.into_response())
}

async fn read_body(headers: &hyper::HeaderMap, body: Incoming) -> Result<Bytes, Reply> {
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("body larger than {MAX_BODY} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Reply::error(
            StatusCode::BAD_REQUEST,
            &format!("the body could not be read: {e}"),
        )),
    }
}

async fn dispatch(app: &App, route: Route<'_>, req: &Request, ex: &mut Exchange) -> Reply {
    let m = &req.method;
    match route {
        Route::Submit if m == Method::GET || m == Method::POST => {
            api::submit::handle(&app.store, req, ex).await
        }
        Route::LeadsGet(aid) if m == Method::GET => api::leads::by_phone(&app.store, req, aid, ex),
        Route::LeadGet(aid) if m == Method::GET => api::leads::by_id(&app.store, req, aid, ex),
        Route::LeadUpdate(aid) if m == Method::POST => {
            api::update::handle(&app.store, req, aid, ex).await
        }
        Route::LeadPage { aid, lid } if m == Method::GET => ui::lead_page(&app.store, aid, lid, ex),
        Route::Admin(admin_route) => admin::handle(app, admin_route, req).await,
        Route::NotFound => {
            ex.note(format!("no such endpoint: {}", req.path));
            Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no such endpoint: {} {}", req.method, req.path),
            )
        }
        _ => {
            let allow = match route {
                Route::Submit => "GET, POST",
                Route::LeadUpdate(_) => "POST",
                _ => "GET",
            };
            ex.note(format!("method {} not allowed here; use {allow}", req.method));
            Reply::error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("method {} not allowed on {}; use {allow}", req.method, req.path),
            )
            .with_header(header::ALLOW, allow)
        }
    }
}

fn entry(
    req: &Request,
    reply: &Reply,
    ex: Exchange,
    at: jiff::Timestamp,
    started: Instant,
) -> JournalEntry {
    let headers = req
        .headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = if name.as_str() == api::AUTH_HEADER {
                mask_token(&text)
            } else {
                text.into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect();
    JournalEntry {
        id: 0,
        at: at.to_string(),
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.query.clone(),
        account: ex.account,
        params: ex.params,
        headers,
        status: reply.status.as_u16(),
        answer: reply.body_text(),
        diagnostics: ex.diagnostics,
        fault: ex.fault,
        micros: started.elapsed().as_micros() as u64,
    }
}
