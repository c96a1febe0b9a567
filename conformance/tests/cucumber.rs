//! The conformance suite against the reference adapter, twice: in-process, and as
//! the `leadim-reference-adapter` binary through protocol v1 — the way any external
//! adapter runs. Both runs read the repository's `features/` directory, and every
//! scenario, MUST and SHOULD, has to pass. Each run ends with its
//! `conformance: N passed, N failed` line; the process exits non-zero on a failure.

use std::path::PathBuf;
use std::process::ExitCode;

use leadim_conformance::suite::{self, AdapterChoice, SuiteOptions};

#[tokio::main]
async fn main() -> ExitCode {
    let features = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../features");
    let reference_binary = format!("'{}'", env!("CARGO_BIN_EXE_leadim-reference-adapter"));
    let runs = [
        ("reference adapter, in-process", AdapterChoice::Reference),
        (
            "reference adapter, as a protocol-v1 command",
            AdapterChoice::Command(reference_binary),
        ),
    ];
    let mut ok = true;
    for (name, adapter) in runs {
        println!("\n=== conformance suite: {name} ===\n");
        let options = SuiteOptions {
            adapter,
            features: Some(features.clone()),
            strict: true,
            ..SuiteOptions::default()
        };
        match suite::run(options).await {
            Ok(report) => {
                println!("{}", report.render());
                ok &= report.success();
            }
            Err(error) => {
                eprintln!("the suite could not run ({name}): {error}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
