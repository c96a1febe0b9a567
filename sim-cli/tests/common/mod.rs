//! The simulator's test helpers (one copy, in `simulator/tests/common/`), and
//! [`program`]: the `leadim-sim` program as a child process, which only this
//! package's tests can start (cargo sets `CARGO_BIN_EXE_leadim-sim` for a
//! package's own binaries).

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

pub mod program;
#[path = "../../../simulator/tests/common/mod.rs"]
mod shared;

#[allow(
    unused_imports,
    reason = "a test binary that only starts the program uses none of the shared helpers"
)]
pub use shared::*;
