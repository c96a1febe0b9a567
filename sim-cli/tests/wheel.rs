//! The wheel's package (`dist/`, outside the workspace) stays in step with the
//! workspace: pip shows its version, and it must provide exactly the two programs.
//! `.ci/run` builds the wheel, installs it and runs the suite from it.

use std::path::Path;

fn dist_manifest() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/Cargo.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `key = "value"` lines of the manifest, in order.
fn string_values<'m>(manifest: &'m str, key: &str) -> Vec<&'m str> {
    manifest
        .lines()
        .filter_map(|line| line.strip_prefix(key)?.trim_start().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"'))
        .collect()
}

#[test]
fn the_wheel_has_the_workspaces_version() {
    let manifest = dist_manifest();
    assert_eq!(
        string_values(&manifest, "version"),
        [env!("CARGO_PKG_VERSION")]
    );
}

#[test]
fn the_wheel_provides_exactly_the_two_programs() {
    let manifest = dist_manifest();
    assert_eq!(
        string_values(&manifest, "name"),
        ["leadim-wheel", "leadim-sim", "leadim-conformance"],
        "the package, then its binaries"
    );
}
