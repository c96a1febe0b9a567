//! Connection slots of the `leadim-sim` program: `--max-connections` and
//! `--idle-timeout` keep clients that send part of a body and stall from holding
//! every slot (the in-process checks are in `simulator/tests/connections.rs`).

mod common;

use common::program;
use common::stalled::{a_normal_client_is_answered, all_closed, stall_mid_body};
use std::net::SocketAddr;

/// The connection slots the program is given.
const SLOTS: usize = 64;

#[tokio::test]
async fn the_program_frees_slots_held_by_stalled_bodies() {
    let slots = SLOTS.to_string();
    let sim = program::start(&["--max-connections", &slots, "--idle-timeout", "1"]).await;
    let addr: SocketAddr = sim
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the banner's address");
    let stalled = stall_mid_body(addr, SLOTS + 16).await;
    a_normal_client_is_answered(addr).await;
    all_closed(stalled).await;
    sim.kill().await;
}
