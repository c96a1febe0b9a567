//! A connection's state and socket: the idle watchdog's clock, and the `reset`
//! fault's RST on close.
//!
//! The clock moves when a request head arrives, when a piece of its body arrives,
//! and when an answer ends. A request counts as being answered (`busy`) only once
//! its body is in: a client that sends a head and part of a body, then stops, is
//! idle like one that stops mid-head, and loses its connection slot after the idle
//! timeout; a slow answer (a `latency` or `hang` fault) is never cut.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What a connection's requests tell its task and its socket.
pub(super) struct ConnState {
    /// Set by a `reset` fault.
    pub reset: AtomicBool,
    /// Requests being answered.
    busy: AtomicUsize,
    /// When the last request started or ended, in microseconds since `opened`.
    last: AtomicU64,
    opened: Instant,
}

/// Marks a request as answered when dropped, however its handler ends.
pub(super) struct Busy<'a>(&'a ConnState);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.mark(Instant::now());
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ConnState {
    pub fn new() -> ConnState {
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

    /// Something arrived at `at`: a request head, or a piece of its body.
    pub fn progress(&self, at: Instant) {
        self.mark(at);
    }

    /// A request whose body is in is being answered. (The clock was moved when its
    /// head and body arrived; while it is answered the watchdog does not look at it.)
    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self)
    }

    /// True once the connection has been idle — no request being answered, no head,
    /// no piece of a body arriving, no answer ending — for `timeout`: a partial head,
    /// a body that stopped, or nothing at all. This is a
    /// watchdog that wakes about once per `timeout`, rather than hyper's header-read
    /// timer, which arms and cancels a timer for every request (as much work as the
    /// store and the routing together).
    ///
    /// Resolves to false, within `timeout`, once the connection has ended by itself.
    pub async fn idle(&self, timeout: Duration, served: &tokio::task::AbortHandle) -> bool {
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
pub(super) struct ConnIo {
    pub stream: TcpStream,
    pub state: Arc<ConnState>,
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
