//! Connection limits: a client that opens a connection and stalls — mid-head or
//! mid-body — is cut off after the idle timeout, so that stalled clients cannot hold
//! every connection slot, while a connection in use, a body that keeps coming, or a
//! request waiting for a slow answer is kept. Checked in-process and against the
//! `leadim-sim` program (`--max-connections`, `--idle-timeout`).

use leadim_simulator::faults::{Endpoint, FaultKind, FaultSpec};
use leadim_simulator::{Simulator, SimulatorHandle};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const IDLE: Duration = Duration::from_millis(300);

/// The connection slots of the slot-exhaustion tests.
const SLOTS: usize = 64;

/// A guard against a server that never answers, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(20);

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

/// An update whose head promises a body of 100 bytes, of which 10 come: then the
/// client stops, holding the connection.
const STALLED_UPDATE: &[u8] = b"POST /apiproxy/3305/api/lead_update.ashx HTTP/1.1\r\nHost: sim\r\nX-LEAD-IM-AUTH: U-d5f9403e30b5281d.6484eb0eaa3c4f85\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nby_id=1000";

/// Opens `n` connections that each send [`STALLED_UPDATE`] and stop. Those beyond
/// the free slots wait in the listen backlog, their bytes sent.
async fn stall_mid_body(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
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
async fn a_normal_client_is_answered(addr: SocketAddr) {
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
async fn all_closed(stalled: Vec<TcpStream>) {
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

/// Starts `leadim-sim` with `args` on a free port; returns it and its address.
async fn program(args: &[&str]) -> (tokio::process::Child, SocketAddr) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_leadim-sim"))
        .args(["--port", "0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("LEADIM_SIM_MAX_CONNECTIONS")
        .env_remove("LEADIM_SIM_IDLE_TIMEOUT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("leadim-sim starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some((_, url)) = line.split_once("listening on http://") {
                return url.trim().parse().expect("an address");
            }
        }
        panic!("stdout ended without a 'listening on' line");
    })
    .await
    .expect("the program announces its address");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

#[tokio::test]
async fn the_program_frees_slots_held_by_stalled_bodies() {
    let slots = SLOTS.to_string();
    let (mut child, addr) = program(&["--max-connections", &slots, "--idle-timeout", "1"]).await;
    let stalled = stall_mid_body(addr, SLOTS + 16).await;
    a_normal_client_is_answered(addr).await;
    all_closed(stalled).await;
    child.kill().await.unwrap();
}
