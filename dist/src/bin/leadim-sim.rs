//! `leadim-sim` as the wheel installs it: the workspace's program (`sim-cli/`).

fn main() -> std::process::ExitCode {
    leadim_sim::main()
}
