//! Connection limits: a client that opens a connection and stalls — mid-head or
//! mid-body — is cut off after the idle timeout, so that stalled clients cannot hold
//! every connection slot, while a connection in use, a body that keeps coming, or a
//! request waiting for a slow answer is kept. Checked in-process here, and against
//! the `leadim-sim` program in `sim-cli/tests/connections.rs`.

mod common;

use common::stalled::{
    a_normal_client_is_answered, all_closed, lookup, read_answer, stall_mid_body,
};
use leadim_simulator::faults::{Endpoint, FaultKind, FaultSpec};
use leadim_simulator::{Simulator, SimulatorHandle};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: Duration = Duration::from_millis(300);

/// The connection slots of the slot-exhaustion tests.
const SLOTS: usize = 64;

async fn simulator() -> SimulatorHandle {
    Simulator::builder()
        .idle_timeout(IDLE)
        .start()
        .await
        .unwrap()
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

#[tokio::test]
async fn stalled_bodies_cannot_hold_every_slot() {
    let sim = Simulator::builder()
        .idle_timeout(IDLE)
        .max_connections(SLOTS)
        .start()
        .await
        .unwrap();
    // More stalled clients than slots: every slot is taken, and more wait.
    let stalled = stall_mid_body(sim.addr(), SLOTS + 16).await;
    a_normal_client_is_answered(sim.addr()).await;
    all_closed(stalled).await;
    // The stalled updates never reached the handler: only the lookup is journaled.
    let journal = sim.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].endpoint, Some(Endpoint::Lookup));
}

#[tokio::test]
async fn a_body_that_keeps_coming_is_not_cut() {
    let sim = simulator().await;
    let body = b"by_id=117000001&%D7%9E%D7%98%D7%A4%D7%9C=%D7%A8%D7%95%D7%A0%D7%99%D7%AA";
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!(
        "POST /apiproxy/3305/api/lead_update.ashx HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Piece by piece, each well within the idle timeout, for three timeouts in all.
    for piece in body.chunks(body.len().div_ceil(9)) {
        tokio::time::sleep(IDLE / 3).await;
        stream.write_all(piece).await.unwrap();
    }
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"status":"success"}"#), "{answer}");
}

#[tokio::test]
async fn a_slow_answer_to_a_request_with_a_body_is_not_cut() {
    let sim = simulator().await;
    sim.inject(FaultSpec::new(Endpoint::Update, FaultKind::Latency { ms: 900 }).times(1))
        .unwrap();
    let body = b"by_id=117000001&fld_status=x";
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "POST /apiproxy/3305/api/lead_update.ashx HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
