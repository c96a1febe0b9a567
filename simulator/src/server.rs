//! Connections, body reading and dispatch: accept → hyper connection task → body read
//! once (1 MiB limit) into our [`Request`] → route → handler → journal.

use crate::admin;
use crate::api;
use crate::faults::{AnswerFault, FaultKind, Faults, IIS_ERROR_PAGE, When};
use crate::journal::{Answer, ExchangeCopy, Journal, Record};
use crate::reply::{Exchange, HTML, Reply};
use crate::request::{BodyKinds, ParamsUsed, Part, Request, parse_urlencoded};
use crate::routes::{ApiRoute, Endpoint, Route, route};
use crate::store::Store;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::Body as _;
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// Largest body accepted; larger ones get 413.
pub const MAX_BODY: usize = 1024 * 1024;
/// Most connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);
/// The longest a `hang` fault holds a request (the client has given up long before).
const MAX_HANG: Duration = Duration::from_secs(600);

/// A response body: whole, or (for the `truncated` fault) half of one, then an error.
type Body = Either<Full<Bytes>, UnsyncBoxBody<Bytes, io::Error>>;

/// Everything a request handler can reach.
#[derive(Debug)]
pub(crate) struct App {
    pub store: Store,
    pub journal: Journal,
    pub faults: Faults,
    /// When set, every admin route requires it.
    pub admin_token: Option<String>,
    /// How long a connection may go without a whole request head while idle.
    pub idle_timeout: Duration,
    /// `http://host:port` once bound: the fallback when a request has no `Host`.
    pub base_url: OnceLock<String>,
    /// Set to true when shutdown starts, so hanging requests let go.
    pub closing: watch::Sender<bool>,
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
        let idle_timeout = app.idle_timeout;
        let state = Arc::new(ConnState::new());
        let io = ConnIo {
            stream,
            state: state.clone(),
        };
        let watched = state.clone();
        let service = service_fn(move |req| handle(app.clone(), state.clone(), req));
        // No hyper timer: `ConnState::idle` bounds stalled connections instead.
        let conn = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(io), service);
        let conn = graceful.watch(conn);
        let served = tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
        // A task of its own, not a branch beside the connection: a `select!` would
        // poll the watchdog's timer on every wake-up of the connection.
        let served = served.abort_handle();
        tokio::spawn(async move {
            if watched.idle(idle_timeout, &served).await {
                tracing::debug!("closing a connection idle for {idle_timeout:?}");
                served.abort();
            }
        });
    }
    drop(listener);
    app.closing.send_replace(true);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still busy after {DRAIN:?}; closing them");
    }
    Ok(())
}

/// Why a connection ends without an answer (an injected fault).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NoAnswer(&'static str);

async fn handle(
    app: Arc<App>,
    conn: Arc<ConnState>,
    req: hyper::Request<Incoming>,
) -> Result<Response<Body>, NoAnswer> {
    let started = Instant::now();
    let _busy = conn.busy(started);
    let at = jiff::Timestamp::now();
    let (parts, body) = req.into_parts();
    let body = read_body(&parts.headers, body).await;
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body: body.as_ref().cloned().unwrap_or_default(),
        received: at,
    };
    let route = route(request.path());
    let is_api = route.is_api();
    let mut ex = Exchange {
        endpoint: match route {
            Route::Api(api) => Some(api.endpoint),
            _ => None,
        },
        ..Exchange::default()
    };
    // Worked out at most once: only when a fault scoped to an account asks, or when
    // a fault strikes and the journal needs it.
    let mut account: Option<Option<u64>> = None;
    let strike = match (&body, route.fault_endpoint(&request.method)) {
        (Ok(_), Some(endpoint)) => app.faults.strike(endpoint, || {
            *account.insert(account_of(&app.store, route, &request))
        }),
        _ => None,
    };
    let outcome = match body {
        Err((reply, why)) => {
            ex.note(why);
            Outcome::Answer(reply)
        }
        Ok(_) => match strike {
            None => Outcome::Answer(dispatch(&app, route, &request, &mut ex).await),
            Some(strike) => {
                ex.fault = Some(strike.describe());
                // A fault before the handler leaves no account in the exchange; the
                // journal still files the request under its account.
                ex.account = account.unwrap_or_else(|| account_of(&app.store, route, &request));
                // The handler that would decode the parameters may not run; the
                // journal decodes them all the same when read.
                ex.params = match request.method {
                    Method::GET => ParamsUsed::Query,
                    _ => ParamsUsed::Merged(BodyKinds::FormOrJson),
                };
                match strike.kind {
                    FaultKind::Latency { ms } => {
                        let delay = Duration::from_millis(ms);
                        return answer_late(app, request, strike.when, delay, ex, at, started)
                            .await;
                    }
                    FaultKind::Answer(fault) => {
                        inject(&app, fault, strike.when, route, &request, &mut ex).await
                    }
                }
            }
        },
    };
    if is_api {
        app.journal
            .record(record(request, &outcome, ex, at, started));
    }
    match outcome {
        Outcome::Answer(reply) => Ok(reply.into_response().map(Either::Left)),
        Outcome::Cut(reply) => Ok(cut(reply)),
        Outcome::Close => Err(NoAnswer("fault: connection closed")),
        Outcome::Reset => {
            conn.reset.store(true, Ordering::Release);
            Err(NoAnswer("fault: connection reset"))
        }
        Outcome::Hang => {
            let mut closing = app.closing.subscribe();
            let _ = tokio::time::timeout(MAX_HANG, closing.wait_for(|c| *c)).await;
            Err(NoAnswer("fault: hung until shutdown"))
        }
    }
}

/// What a request gets back.
enum Outcome {
    /// A whole answer.
    Answer(Reply),
    /// Half an answer, then the connection drops.
    Cut(Reply),
    /// The connection closes.
    Close,
    /// The connection is reset.
    Reset,
    /// Nothing, ever.
    Hang,
}

/// A `latency` fault. The client may give up during the delay, and hyper then drops
/// the request's future; a real server would finish the request all the same. So
/// the simulator finishes it in a task of its own — the handler runs (before or
/// after the delay) and the exchange is journaled — and answers if the client is
/// still there.
async fn answer_late(
    app: Arc<App>,
    request: Request,
    when: When,
    delay: Duration,
    mut ex: Exchange,
    at: jiff::Timestamp,
    started: Instant,
) -> Result<Response<Body>, NoAnswer> {
    let late = tokio::spawn(async move {
        let route = route(request.path());
        if when == When::Before {
            tokio::time::sleep(delay).await;
        }
        let reply = dispatch(&app, route, &request, &mut ex).await;
        if when == When::After {
            tokio::time::sleep(delay).await;
        }
        let outcome = Outcome::Answer(reply);
        app.journal
            .record(record(request, &outcome, ex, at, started));
        outcome
    });
    match late.await {
        Ok(Outcome::Answer(reply)) => Ok(reply.into_response().map(Either::Left)),
        _ => Err(NoAnswer("fault: the delayed request failed")),
    }
}

/// A fault that takes the answer's place, before or after the handler.
async fn inject(
    app: &App,
    fault: AnswerFault,
    when: When,
    route: Route<'_>,
    req: &Request,
    ex: &mut Exchange,
) -> Outcome {
    let handled = match when {
        When::After => Some(dispatch(app, route, req, ex).await),
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
            Reply::json(
                StatusCode::OK,
                &serde_json::json!({"status": "success", "result": 0, "data": []}),
            )
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
    }
}

/// How much of a `truncated` answer of `len` bytes is sent: the first half. The
/// answer and the journal's record of it both go by this.
fn cut_at(len: usize) -> usize {
    len / 2
}

/// The response for the `truncated` fault: `Content-Length` of the whole body, half of
/// it sent and flushed, then an error, which makes hyper drop the connection.
fn cut(reply: Reply) -> Response<Body> {
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

/// The account a request concerns, for faults scoped to one. For `/v2/submit` it
/// is the account of `lm_form`, read as the handler reads it: the query, and a
/// POST's form-encoded body.
fn account_of(store: &Store, route: Route<'_>, req: &Request) -> Option<u64> {
    let Route::Api(api) = route else {
        return None;
    };
    match api.endpoint {
        Endpoint::Lookup | Endpoint::Get | Endpoint::Update => api.aid.parse().ok(),
        Endpoint::Submit => {
            // As the handler reads it: a GET's body is ignored.
            let from_body = (req.method == Method::POST)
                .then(|| parse_urlencoded(&req.body, Part::Body).ok())
                .flatten();
            let from_query = req.query_params().ok();
            let form = [from_body, from_query]
                .into_iter()
                .flatten()
                .find_map(|p| p.get("lm_form").and_then(|f| f.trim().parse().ok()))?;
            store.account_of_form(form)
        }
        Endpoint::LeadPage => None,
    }
}

/// What a connection's requests tell its task and its socket.
struct ConnState {
    /// Set by a `reset` fault.
    reset: AtomicBool,
    /// Requests being answered.
    busy: AtomicUsize,
    /// When the last request started or ended, in microseconds since `opened`.
    last: AtomicU64,
    opened: Instant,
}

/// Marks a request as answered when dropped, however its handler ends.
struct Busy<'a>(&'a ConnState);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.mark(Instant::now());
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ConnState {
    fn new() -> ConnState {
        ConnState {
            reset: AtomicBool::new(false),
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(0),
            opened: Instant::now(),
        }
    }

    fn mark(&self, at: Instant) {
        let micros = at.saturating_duration_since(self.opened).as_micros();
        self.last.store(micros as u64, Ordering::Relaxed);
    }

    /// A request whose head arrived at `started` is being answered.
    fn busy(&self, started: Instant) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        self.mark(started);
        Busy(self)
    }

    /// True once the connection has been idle — no request being answered, none
    /// started or ended — for `timeout`: a partial head, or nothing at all. This is a
    /// watchdog that wakes about once per `timeout`, rather than hyper's header-read
    /// timer, which arms and cancels a timer for every request (as much work as the
    /// store and the routing together).
    ///
    /// Resolves to false, within `timeout`, once the connection has ended by itself.
    async fn idle(&self, timeout: Duration, served: &tokio::task::AbortHandle) -> bool {
        loop {
            if served.is_finished() {
                return false;
            }
            let last = self.opened + Duration::from_micros(self.last.load(Ordering::Relaxed));
            let now = Instant::now();
            let due = if self.busy.load(Ordering::Relaxed) > 0 {
                now + timeout
            } else if now >= last + timeout {
                return true;
            } else {
                last + timeout
            };
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

/// The connection's socket. A `reset` fault sets `reset`; dropping the connection
/// then sets `SO_LINGER` to zero first, so the close is a TCP RST rather than a FIN.
struct ConnIo {
    stream: TcpStream,
    state: Arc<ConnState>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.state.reset.load(Ordering::Acquire) {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The whole body, or the answer (413, 400) and the journal's words for why not.
async fn read_body(headers: &hyper::HeaderMap, body: Incoming) -> Result<Bytes, (Reply, String)> {
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
    match collect(Limited::new(body, MAX_BODY)).await {
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
) -> Result<Bytes, Box<dyn std::error::Error + Send + Sync>> {
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
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

async fn dispatch(app: &App, route: Route<'_>, req: &Request, ex: &mut Exchange) -> Reply {
    match route {
        Route::Api(api) if api.endpoint.allows(&req.method) => serve_api(app, api, req, ex).await,
        Route::Api(api) => {
            let allow = api.endpoint.allow();
            ex.note(format!(
                "method {} not allowed here; use {allow}",
                req.method
            ));
            Reply::method_not_allowed(&req.method, req.path(), allow)
        }
        Route::Admin(admin_route) => admin::handle(app, admin_route, req),
        Route::NotFound => {
            ex.note(format!("no such endpoint: {}", req.path()));
            Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no such endpoint: {} {}", req.method, req.path()),
            )
        }
    }
}

/// A Lead.IM endpoint asked with a method it takes: its handler.
async fn serve_api(app: &App, api: ApiRoute<'_>, req: &Request, ex: &mut Exchange) -> Reply {
    let store = &app.store;
    match api.endpoint {
        Endpoint::Submit => api::submit::handle(store, req, ex).await,
        Endpoint::Lookup => api::lookup::handle(store, req, api.aid, ex),
        Endpoint::Get => api::get::handle(store, req, api.aid, ex),
        Endpoint::Update => api::update::handle(store, req, api.aid, ex).await,
        Endpoint::LeadPage => api::lead_page::handle(store, api.aid, api.lid, ex),
    }
}

/// The journal's record of an exchange. Takes the request so that its views into
/// the connection's read buffer go as soon as they are copied.
fn record(
    req: Request,
    outcome: &Outcome,
    ex: Exchange,
    at: jiff::Timestamp,
    started: Instant,
) -> Record {
    let (status, answer, shown): (u16, Answer, &[u8]) = match outcome {
        Outcome::Answer(r) => (r.status.as_u16(), Answer::Body, &r.body),
        Outcome::Cut(r) => {
            let sent = cut_at(r.body.len());
            let total = r.body.len();
            (
                r.status.as_u16(),
                Answer::Cut { sent, total },
                &r.body[..sent],
            )
        }
        Outcome::Close => (0, Answer::None("connection closed"), &[]),
        Outcome::Reset => (0, Answer::None("connection reset"), &[]),
        Outcome::Hang => (0, Answer::None("the request hangs"), &[]),
    };
    let request = ExchangeCopy::new(&req, shown);
    // The request's views into the connection's read buffer go now, copied.
    drop(req);
    Record {
        at,
        request,
        endpoint: ex.endpoint,
        account: ex.account,
        params: ex.params,
        status,
        answer,
        diagnostics: ex.diagnostics,
        fault: ex.fault,
        micros: started.elapsed().as_micros() as u64,
    }
}
