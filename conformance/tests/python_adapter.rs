//! The second-language example, `examples/python/leadim_adapter.py` (standard
//! library only), passes the whole suite, MUST and SHOULD, through the
//! `leadim-conformance` binary and its embedded features. Fails when `python3` is
//! missing, unless `LEADIM_SKIP_PYTHON=1` skips it.

mod cli;

use cli::{python3, run_conformance};

#[test]
fn the_python_example_passes_the_whole_suite_strictly() {
    let Some(python) = python3() else { return };
    let adapter = cli::example("leadim_adapter.py");
    let junit = std::env::temp_dir().join(format!("leadim-python-{}.xml", std::process::id()));
    let run = run_conformance(&[
        "--adapter",
        &format!("{python} '{}'", adapter.display()),
        "--strict",
        "--junit",
        junit.to_str().expect("a UTF-8 temp path"),
    ]);
    assert!(
        run.success,
        "the Python example failed the suite:\n{}",
        run.stdout
    );
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let _ = std::fs::remove_file(&junit);
    let doc = roxmltree::Document::parse(&xml).expect("the report is XML");
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let passed: usize = last
        .trim_start_matches("conformance: ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the last line counts the passed scenarios");
    assert_eq!(cases.len(), passed, "one test case per scenario");
    assert!(
        cases
            .iter()
            .any(|c| c.attribute("classname") == Some("lookup")),
        "{xml}"
    );
    assert!(
        cases.iter().all(|c| c
            .children()
            .all(|n| !n.is_element() || n.has_tag_name("system-out"))),
        "no failure and nothing skipped: {xml}"
    );
}
