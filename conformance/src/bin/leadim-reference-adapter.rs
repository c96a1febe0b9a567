//! The reference Lead.IM adapter as a protocol-v1 command: one JSON request on stdin,
//! one JSON response on stdout. Exit 0 whenever a response was printed (a `failure`
//! outcome included); exit 2 when the request itself is not valid protocol JSON.
//!
//! Its deadline for the whole call is `LEADIM_ADAPTER_TIMEOUT_MS` milliseconds when
//! set (the conformance suite sets it), else 5 s.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use leadim_conformance::adapter::{ReferenceAdapter, timeout_from_env};
use leadim_conformance::protocol::AdapterRequest;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut input = Vec::new();
    let request = std::io::stdin()
        .read_to_end(&mut input)
        .context("could not read stdin")
        .and_then(|_| {
            serde_json::from_slice::<AdapterRequest>(&input).context("invalid adapter request")
        });
    let request = match request {
        Ok(request) => request,
        Err(err) => {
            eprintln!("leadim-reference-adapter: {err:#}");
            return ExitCode::from(2);
        }
    };
    match answer(&request).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("leadim-reference-adapter: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn answer(request: &AdapterRequest) -> anyhow::Result<()> {
    let timeout = timeout_from_env(ReferenceAdapter::DEFAULT_TIMEOUT);
    let adapter =
        ReferenceAdapter::with_timeout(timeout).context("could not build the HTTP client")?;
    let response = adapter.call(request).await;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &response).context("could not write the response")?;
    writeln!(stdout).context("could not write the response")?;
    Ok(())
}
