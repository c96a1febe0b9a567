//! `leadim-conformance` as the wheel installs it: the workspace's program
//! (`conformance/src/cli.rs`).

fn main() -> std::process::ExitCode {
    leadim_conformance::cli::main()
}
