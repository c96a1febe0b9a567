//! Connections, body reading and dispatch: accept → hyper connection task → body read
//! once (1 MiB limit) into our [`Request`] → route → handler → journal.

mod body;
mod conn;
mod faulted;

use body::read_body;
use conn::{ConnIo, ConnState};
use faulted::{answer_late, cut, cut_at, inject};

use crate::admin;
use crate::api;
use crate::faults::{FaultKind, Faults};
use crate::journal::{Answer, ExchangeCopy, Journal, Record};
use crate::reply::{JournalNotes, Reply};
use crate::request::{BodyKinds, ParamsUsed, Request};
use crate::routes::{self, ApiRoute, Endpoint, Route, route};
use crate::store::Store;
use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Largest body accepted; larger ones get 413.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(10);
/// The longest a `hang` fault holds a request (the client has given up long before):
/// as long as the longest `latency`.
const MAX_HANG: Duration = Duration::from_millis(crate::faults::MAX_LATENCY_MS);

/// A response body: whole, or (for the `truncated` fault) half of one, then an error.
type Body = Either<Full<Bytes>, UnsyncBoxBody<Bytes, io::Error>>;

/// Everything a request handler can reach.
#[derive(Debug)]
pub(crate) struct Services {
    pub store: Store,
    pub journal: Journal,
    pub faults: Faults,
    /// When set, every admin route requires it.
    pub admin_token: Option<String>,
    /// How long a connection may go with nothing arriving (no head, no piece of a
    /// body) while none of its requests is being answered.
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Most leads a lookup answers with.
    pub lookup_cap: usize,
    /// `http://host:port` once bound: the fallback when a request has no `Host`.
    pub base_url: OnceLock<String>,
    /// Set to true when shutdown starts, so hanging requests let go.
    pub closing: watch::Sender<bool>,
}

impl Services {
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
    app: Arc<Services>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(app.max_connections.max(1)));
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
    app: Arc<Services>,
    conn: Arc<ConnState>,
    req: hyper::Request<Incoming>,
) -> Result<Response<Body>, NoAnswer> {
    let started = Instant::now();
    conn.progress(started);
    let at = jiff::Timestamp::now();
    let (parts, body) = req.into_parts();
    // Not busy while the body comes: a body that stops coming is idle, and the
    // watchdog frees its slot.
    let body = read_body(&parts.headers, body, || conn.progress(Instant::now())).await;
    let _busy = conn.busy();
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body: body.as_ref().cloned().unwrap_or_default(),
        received: at,
    };
    let route = route(request.path());
    let is_api = route.is_api();
    let is_proxy = matches!(route, Route::Api(api) if api.is_proxy());
    let browser_readable = |reply: Reply| match is_proxy {
        true => api::cors::allow_origin(reply),
        false => reply,
    };
    let mut notes = JournalNotes::default();
    if let Route::Api(api) = route {
        (notes.endpoint, notes.door) = (Some(api.endpoint), Some(api.door));
    }
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
            notes.error(why);
            Outcome::Answer(reply)
        }
        Ok(_) => match strike {
            None => Outcome::Answer(dispatch(&app, route, &request, &mut notes).await),
            Some(strike) => {
                notes.fault = Some(strike.describe());
                // A fault before the handler leaves no account in the exchange; the
                // journal still files the request under its account.
                notes.account = account.unwrap_or_else(|| account_of(&app.store, route, &request));
                // The handler that would decode the parameters may not run; the
                // journal decodes them all the same when read.
                notes.params = as_sent(&request.method);
                match strike.kind {
                    FaultKind::Latency { ms } => {
                        let delay = Duration::from_millis(ms);
                        return answer_late(app, request, strike.when, delay, notes, at, started)
                            .await;
                    }
                    FaultKind::Answer(fault) => {
                        inject(&app, fault, strike.when, route, &request, &mut notes).await
                    }
                }
            }
        },
    };
    if is_api {
        app.journal
            .record(record(request, &outcome, notes, at, started));
    }
    match outcome {
        Outcome::Answer(reply) => Ok(browser_readable(reply).into_response().map(Either::Left)),
        Outcome::Cut(reply) => Ok(cut(browser_readable(reply))),
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

/// The parameters as a request sent them, for the journal to decode when no
/// handler did: the query of a GET, the query and any body of anything else.
fn as_sent(method: &Method) -> ParamsUsed {
    match *method {
        Method::GET => ParamsUsed::Query,
        _ => ParamsUsed::Merged(BodyKinds::FormOrJson),
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
            // As the handler reads it: a GET's body is ignored; a POST's form or
            // multipart body is laid over the query. Nothing here waits: the body
            // is in memory.
            let params = if req.method == Method::POST {
                req.merged_params(BodyKinds::Form)
                    .now_or_never()
                    .expect("decoding a body in memory never waits")
            } else {
                req.query_params()
            };
            let form = params.ok()?.get("lm_form")?.trim().parse().ok()?;
            store.account_of_form(form)
        }
        Endpoint::LeadPage => None,
    }
}

async fn dispatch(
    app: &Services,
    route: Route<'_>,
    req: &Request,
    notes: &mut JournalNotes,
) -> Reply {
    let logged = app.store.logged();
    let reply = answer(app, route, req, notes).await;
    if changes_state(route, &req.method) {
        durable(app, logged, reply, notes).await
    } else {
        reply
    }
}

/// Whether a request may change the state: submit, update, and the admin API's
/// writes. Only these wait for the `--state` log, so that reads are never held up
/// by other requests' writes.
fn changes_state(route: Route<'_>, method: &Method) -> bool {
    match route {
        Route::Api(api) => {
            matches!(api.endpoint, Endpoint::Submit | Endpoint::Update)
                && api.allows(method)
                && !api.is_preflight(method)
        }
        Route::Admin(_) => method != Method::GET,
        Route::NotFound => false,
    }
}

/// `reply`, once every change logged since `since` is durable (with `--state`;
/// at once without), so that an acknowledged change survives a crash. The wait
/// may cover other requests' changes too: they are written together anyway.
async fn durable(app: &Services, since: u64, reply: Reply, notes: &mut JournalNotes) -> Reply {
    let upto = app.store.logged();
    if upto == since {
        return reply;
    }
    match app.store.durable(upto).await {
        Ok(()) => reply,
        Err(failure) => {
            notes.note(format!(
                "{failure}: the change is made in memory, but a restart would lose it; answered 503"
            ));
            Reply::error(StatusCode::SERVICE_UNAVAILABLE, &failure.to_string())
        }
    }
}

/// The answer of the route's handler.
async fn answer(
    app: &Services,
    route: Route<'_>,
    req: &Request,
    notes: &mut JournalNotes,
) -> Reply {
    match route {
        Route::Api(api) if api.allows(&req.method) => serve_api(app, api, req, notes).await,
        Route::Api(api) => {
            let allow = api.allow();
            let path = req.path();
            let file = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path);
            notes.account = notes.account.or_else(|| api.aid.parse().ok());
            notes.error(format!(
                "{} is not allowed on {file}; use {allow}",
                req.method
            ));
            Reply::method_not_allowed(&req.method, path, allow)
        }
        Route::Admin(admin_route) => admin::handle(app, admin_route, req).await,
        Route::NotFound => {
            let unmatched = routes::unmatched(req.path());
            notes.account = unmatched.account;
            // What was sent, decoded, so that the author sees it beside the hint.
            notes.params = as_sent(&req.method);
            let mut answer = format!("no such endpoint: {} {}", req.method, req.path());
            if let Some(hint) = &unmatched.hint {
                answer = format!("{answer}; {hint}");
            }
            notes.error(unmatched.message);
            Reply::error(StatusCode::NOT_FOUND, &answer)
        }
    }
}

/// A Lead.IM endpoint asked with a method it takes: its handler.
async fn serve_api(
    app: &Services,
    api: ApiRoute<'_>,
    req: &Request,
    notes: &mut JournalNotes,
) -> Reply {
    let store = &app.store;
    if api.is_preflight(&req.method) {
        return api::cors::preflight();
    }
    match api.endpoint {
        Endpoint::Submit => api::submit::handle(store, req, api.door, notes).await,
        Endpoint::Lookup => api::lookup::handle(store, req, api.aid, app.lookup_cap, notes),
        Endpoint::Get => api::get::handle(store, req, api.aid, notes),
        Endpoint::Update => api::update::handle(store, req, api.aid, notes).await,
        Endpoint::LeadPage => api::lead_page::handle(store, api.aid, api.lid, notes),
    }
}

/// The journal's record of an exchange. Takes the request so that its views into
/// the connection's read buffer go as soon as they are copied.
fn record(
    req: Request,
    outcome: &Outcome,
    notes: JournalNotes,
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
        endpoint: notes.endpoint,
        door: notes.door,
        account: notes.account,
        params: notes.params,
        status,
        answer,
        diagnostics: notes.diagnostics,
        fault: notes.fault,
        micros: started.elapsed().as_micros() as u64,
    }
}
