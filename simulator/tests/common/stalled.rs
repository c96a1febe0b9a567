//! Raw TCP clients for the connection-limit tests: a lookup on a keep-alive
//! connection, and clients that send a head and part of a body, then stall.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A guard against a server that never answers, not a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A keep-alive lookup of דנה כהן's phone, as raw bytes.
pub fn lookup() -> &'static [u8] {
    b"GET /apiproxy/3305/api/leads_get.ashx?by_phone=0521234567 HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\n\r\n"
}

/// Reads one whole answer (head and `Content-Length` body) off a keep-alive stream.
pub async fn read_answer(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed mid-answer");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse().ok())
                .expect("a content-length");
            if body.len() >= length {
                return text.into_owned();
            }
        }
    }
}

/// An update whose head promises a body of 100 bytes, of which 10 come: then the
/// client stops, holding the connection.
pub const STALLED_UPDATE: &[u8] = b"POST /apiproxy/3305/api/lead_update.ashx HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nby_id=1000";

/// Opens `n` connections that each send [`STALLED_UPDATE`] and stop. Those beyond
/// the free slots wait in the listen backlog, their bytes sent.
pub async fn stall_mid_body(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut stalled = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(STALLED_UPDATE).await.unwrap();
        stalled.push(stream);
    }
    stalled
}

/// A normal client, while the slots are under attack: a lookup on a fresh
/// connection, answered within [`PATIENCE`].
pub async fn a_normal_client_is_answered(addr: SocketAddr) {
    let answer = tokio::time::timeout(PATIENCE, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(lookup()).await.unwrap();
        read_answer(&mut stream).await
    })
    .await
    .expect("a normal client is answered while stalled clients hold the slots");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("0521234567"), "{answer}");
}

/// Every stalled connection is closed by the server (a FIN, or a reset), and gets
/// no answer.
pub async fn all_closed(stalled: Vec<TcpStream>) {
    for (i, mut stream) in stalled.into_iter().enumerate() {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("stalled connection {i} was never closed"));
        assert!(
            read.is_err() || rest.is_empty(),
            "stalled connection {i} got an answer: {}",
            String::from_utf8_lossy(&rest)
        );
    }
}
