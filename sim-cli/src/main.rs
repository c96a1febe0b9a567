//! `leadim-sim`: the simulator as a program. The program is the `leadim_sim`
//! library's [`leadim_sim::main`], which the wheel's `dist/` crate calls too.

fn main() -> std::process::ExitCode {
    leadim_sim::main()
}
