//! One HTTP/1.1 keep-alive connection, over hyper's own `client::conn::http1`
//! handshake: no pool, no extra task hop between the load generator and the socket.

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// A request as the load generator and the admin calls send it.
pub type Req = Request<Full<Bytes>>;

/// One open keep-alive connection; requests on it go one after the other.
#[derive(Debug)]
pub struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Connects (with `TCP_NODELAY`, as the servers under test set it) and does the
    /// HTTP/1.1 handshake; the connection's I/O runs in a spawned task.
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server closes or the sender is dropped.
            let _ = conn.await;
        });
        Ok(Connection { sender })
    }

    /// Sends `req` and reads the whole answer.
    pub async fn send(&mut self, req: Req) -> anyhow::Result<(StatusCode, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(req).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// The `Host` header value for a server.
pub fn host(addr: SocketAddr) -> HeaderValue {
    HeaderValue::from_str(&addr.to_string()).expect("a socket address is a valid header value")
}

/// One call on a fresh connection: `method path`, with an optional JSON body. Fails
/// unless the answer's status is `expect`.
pub async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    json: Option<&serde_json::Value>,
    expect: StatusCode,
) -> anyhow::Result<serde_json::Value> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(HOST, host(addr));
    let body = match json {
        Some(value) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            Bytes::from(serde_json::to_vec(value)?)
        }
        None => Bytes::new(),
    };
    let req = builder.body(Full::new(body))?;
    let (status, body) = Connection::open(addr).await?.send(req).await?;
    if status != expect {
        bail!(
            "{method} {path} answered {status}, not {expect}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    serde_json::from_slice(&body)
        .with_context(|| format!("{method} {path} did not answer JSON: {body:?}"))
}
