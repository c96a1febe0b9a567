//! `leadim-conformance`: the conformance suite for Lead.IM adapters as a program. The
//! program is [`leadim_conformance::cli::main`], which the wheel's `dist/` crate
//! calls too.

fn main() -> std::process::ExitCode {
    leadim_conformance::cli::main()
}
