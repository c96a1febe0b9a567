//! Connection limits: a client that opens a connection and stalls is cut off after
//! the idle timeout, while a connection in use, or one waiting for a slow answer,
//! is kept.

use leadim_simulator::faults::{Endpoint, FaultKind, FaultSpec};
use leadim_simulator::{Simulator, SimulatorHandle};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: Duration = Duration::from_millis(300);

async fn simulator() -> SimulatorHandle {
    Simulator::builder()
        .idle_timeout(IDLE)
        .start()
        .await
        .unwrap()
}

/// A keep-alive lookup of דנה כהן's phone, as raw bytes.
fn lookup() -> &'static [u8] {
    b"GET /apiproxy/3305/api/leads_get.ashx?by_phone=0521234567 HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\n\r\n"
}

/// Reads one whole answer (head and `Content-Length` body) off a keep-alive stream.
async fn read_answer(stream: &mut TcpStream) -> String {
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

/// Waits for the server to close `stream`; returns how long that took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was never closed");
    assert!(rest.is_empty(), "no answer to a partial head: {rest:?}");
    start.elapsed()
}

#[tokio::test]
async fn a_connection_stalled_mid_head_is_closed_after_the_idle_timeout() {
    let sim = simulator().await;
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream
        .write_all(b"GET /apiproxy/3305/api/leads_get.ashx?by_phone=05")
        .await
        .unwrap();
    let waited = closed_after(&mut stream).await;
    assert!(waited >= IDLE / 2, "closed too early: {waited:?}");
}

#[tokio::test]
async fn a_connection_that_never_sends_is_closed_and_so_is_one_idle_after_an_answer() {
    let sim = simulator().await;
    let mut silent = TcpStream::connect(sim.addr()).await.unwrap();
    closed_after(&mut silent).await;

    let mut used = TcpStream::connect(sim.addr()).await.unwrap();
    used.write_all(lookup()).await.unwrap();
    assert!(read_answer(&mut used).await.contains("דנה כהן"));
    let waited = closed_after(&mut used).await;
    assert!(
        waited >= IDLE / 2,
        "closed too early after the answer: {waited:?}"
    );
}

#[tokio::test]
async fn a_connection_in_steady_use_stays_open_past_the_timeout() {
    let sim = simulator().await;
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    for _ in 0..12 {
        stream.write_all(lookup()).await.unwrap();
        assert!(read_answer(&mut stream).await.starts_with("HTTP/1.1 200"));
        tokio::time::sleep(IDLE / 3).await;
    }
}

#[tokio::test]
async fn a_slow_answer_is_not_cut_by_the_idle_timeout() {
    let sim = simulator().await;
    sim.inject(FaultSpec::new(Endpoint::Lookup, FaultKind::Latency { ms: 900 }).times(1))
        .unwrap();
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(lookup()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("0521234567"));
}
