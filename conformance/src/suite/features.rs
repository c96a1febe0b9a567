//! The feature files and seed flows, embedded in the binary so that it runs from any
//! directory, and the cucumber parser over them (or over a directory's files).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::parser::{self, Parser};
use futures_util::stream;

/// One feature file: where it came from (for reports) and its text.
#[derive(Debug, Clone)]
pub struct FeatureText {
    /// Shown in reports: the file name for embedded files, the path otherwise.
    pub path: PathBuf,
    /// The Gherkin text.
    pub text: String,
}

/// The feature files under `features/`, one per documented flow.
const EMBEDDED_FEATURES: &[(&str, &str)] = &[
    (
        "lookup.feature",
        include_str!("../../../features/lookup.feature"),
    ),
    (
        "display.feature",
        include_str!("../../../features/display.feature"),
    ),
    (
        "open_ticket.feature",
        include_str!("../../../features/open_ticket.feature"),
    ),
    (
        "create_lead_flexible.feature",
        include_str!("../../../features/create_lead_flexible.feature"),
    ),
    (
        "update_lead.feature",
        include_str!("../../../features/update_lead.feature"),
    ),
    (
        "get_transformer.feature",
        include_str!("../../../features/get_transformer.feature"),
    ),
    (
        "resilience.feature",
        include_str!("../../../features/resilience.feature"),
    ),
];

/// The seed's flow snippets under `features/flows/`, verbatim.
const EMBEDDED_FLOWS: &[(&str, &str)] = &[
    (
        "create_lead",
        include_str!("../../../features/flows/create_lead.yaml"),
    ),
    (
        "update_lead",
        include_str!("../../../features/flows/update_lead.yaml"),
    ),
    (
        "leadim_lookup",
        include_str!("../../../features/flows/leadim_lookup.yaml"),
    ),
    (
        "leadim_open",
        include_str!("../../../features/flows/leadim_open.yaml"),
    ),
];

/// The embedded feature files.
pub fn embedded_features() -> Vec<FeatureText> {
    EMBEDDED_FEATURES
        .iter()
        .map(|(name, text)| FeatureText {
            path: PathBuf::from(name),
            text: (*text).to_owned(),
        })
        .collect()
}

/// The embedded seed flows, by name.
pub fn embedded_flows() -> BTreeMap<String, String> {
    EMBEDDED_FLOWS
        .iter()
        .map(|(name, yaml)| ((*name).to_owned(), (*yaml).to_owned()))
        .collect()
}

/// The `*.feature` files of `dir`, sorted by name.
pub fn features_in(dir: &Path) -> std::io::Result<Vec<FeatureText>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path)?;
            files.push(FeatureText { path, text });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The embedded flows, overridden by the `*.yaml` files of `dir/flows` when present.
pub fn flows_in(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut flows = embedded_flows();
    let flows_dir = dir.join("flows");
    if flows_dir.is_dir() {
        for entry in std::fs::read_dir(flows_dir)? {
            let path = entry?.path();
            if let (Some(stem), Some("yaml")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|e| e.to_str()),
            ) {
                flows.insert(stem.to_owned(), std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(flows)
}

/// The order in which scenarios start. Cucumber starts them first in, first out,
/// as the parser yields them; a schedule other than [`Schedule::Files`] yields every
/// scenario as a feature of its own (same file, tags and background) to order them
/// across files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Schedule {
    /// File by file, each file in its own order: the features as written.
    #[default]
    Files,
    /// These scenarios (`file:line`, as reports name them) first, in this order,
    /// then the others interleaved across files and taken from both ends of each:
    /// the last scenario of every file, then the first of every file, then the one
    /// before the last… A run stopped at its first failure then meets every flow
    /// early, and each flow's broadest scenario (a file opens with the whole happy
    /// path) and its newest (a scenario is added at the end of its file when a
    /// broken adapter slipped through the others) before the rest.
    Prioritized {
        /// The scenarios to start first, in this order.
        first: Vec<String>,
        /// Scenarios not to run at all: the mutation corpus leaves out one whose
        /// failure did not repeat on its own, so that a scenario a loaded machine
        /// failed cannot end a fail-fast run before the others had their turn.
        skip: Vec<String>,
    },
    /// Only these scenarios (`file:line`), in this order.
    Only(Vec<String>),
}

/// A cucumber parser over feature texts already in memory, with Scenario Outlines
/// expanded as cucumber's own parser does, yielding the scenarios in the order of
/// its [`Schedule`].
#[derive(Debug, Clone, Default)]
pub struct TextParser {
    /// The order the scenarios start in.
    pub schedule: Schedule,
}

type Parsed = std::result::Result<gherkin::Feature, parser::Error>;

impl Parser<Vec<FeatureText>> for TextParser {
    type Cli = cucumber::cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<Parsed>>;

    fn parse(self, input: Vec<FeatureText>, _: Self::Cli) -> Self::Output {
        let parsed: Vec<Parsed> = input.into_iter().map(parse_one).collect();
        stream::iter(scheduled(parsed, &self.schedule))
    }
}

/// The parsed features, re-cut and re-ordered for `schedule`. Files that did not
/// parse stay in the output (each fails the run).
fn scheduled(parsed: Vec<Parsed>, schedule: &Schedule) -> Vec<Parsed> {
    let (first, skip, only) = match schedule {
        Schedule::Files => return parsed,
        Schedule::Prioritized { first, skip } => (first, skip.as_slice(), false),
        Schedule::Only(first) => (first, &[][..], true),
    };
    let mut out = Vec::new();
    let mut files: Vec<VecDeque<(String, gherkin::Feature)>> = Vec::new();
    for feature in parsed {
        match feature {
            Ok(feature) => {
                let (singles, rules) = split(feature);
                files.push(singles);
                // Rules are not split: they run after the scenarios, unprioritized.
                out.extend(rules.filter(|_| !only).map(Ok));
            }
            Err(error) => out.push(Err(error)),
        }
    }
    let mut by_place: HashMap<String, gherkin::Feature> = files.iter().flatten().cloned().collect();
    for place in skip {
        by_place.remove(place);
    }
    let mut ordered: Vec<Parsed> = first
        .iter()
        .filter_map(|place| by_place.remove(place))
        .map(Ok)
        .collect();
    if !only {
        let mut from_the_end = true;
        while files.iter().any(|f| !f.is_empty()) {
            for file in &mut files {
                let next = if from_the_end {
                    file.pop_back()
                } else {
                    file.pop_front()
                };
                if let Some((place, _)) = next {
                    ordered.extend(by_place.remove(&place).map(Ok));
                }
            }
            from_the_end = !from_the_end;
        }
    }
    ordered.extend(out);
    ordered
}

/// One feature per scenario, keyed by `file:line`; and the feature's rules, if it
/// has any, as a feature without scenarios.
fn split(
    feature: gherkin::Feature,
) -> (
    VecDeque<(String, gherkin::Feature)>,
    Option<gherkin::Feature>,
) {
    let file = super::report::feature_file(&feature);
    let mut template = feature.clone();
    template.scenarios.clear();
    template.rules.clear();
    let rules = (!feature.rules.is_empty()).then(|| gherkin::Feature {
        scenarios: Vec::new(),
        ..feature.clone()
    });
    let singles = feature
        .scenarios
        .into_iter()
        .map(|scenario| {
            let place = format!("{file}:{}", scenario.position.line);
            let mut single = template.clone();
            single.scenarios = vec![scenario];
            (place, single)
        })
        .collect();
    (singles, rules)
}

fn parse_one(file: FeatureText) -> Parsed {
    let mut feature =
        gherkin::Feature::parse(&file.text, GherkinEnv::default()).map_err(|source| {
            parser::Error::from(gherkin::ParseFileError::Parsing {
                path: file.path.clone(),
                error: None,
                source,
            })
        })?;
    feature.path = Some(file.path);
    Ok(feature.expand_examples()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;

    #[tokio::test]
    async fn every_embedded_feature_parses_and_outlines_expand() {
        let features: Vec<_> = TextParser::default()
            .parse(embedded_features(), cucumber::cli::Empty)
            .collect()
            .await;
        assert_eq!(features.len(), EMBEDDED_FEATURES.len());
        for feature in features {
            let feature = feature.unwrap();
            assert!(!feature.scenarios.is_empty(), "{}", feature.name);
            assert!(feature.scenarios.iter().all(|s| s.examples.len() <= 1));
        }
    }

    #[test]
    fn every_file_in_features_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
        let on_disk: Vec<String> = features_in(&dir)
            .unwrap()
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let mut embedded: Vec<String> = EMBEDDED_FEATURES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "add new feature files to EMBEDDED_FEATURES"
        );
        let flows = flows_in(&dir).unwrap();
        assert_eq!(
            flows,
            embedded_flows(),
            "features/flows/ and the embedded flows differ"
        );
    }

    fn places(features: &[Parsed]) -> Vec<String> {
        features
            .iter()
            .map(|f| {
                let f = f.as_ref().unwrap();
                let lines: Vec<String> = f
                    .scenarios
                    .iter()
                    .map(|s| s.position.line.to_string())
                    .collect();
                format!("{}:{}", f.name, lines.join(","))
            })
            .collect()
    }

    fn two_files() -> Vec<Parsed> {
        let file = |name: &str| FeatureText {
            path: format!("{name}.feature").into(),
            text: format!(
                "Feature: {name}\n  Scenario: אחת\n    Given x\n  Scenario: שתיים\n    Given x\n  Scenario: שלוש\n    Given x\n"
            ),
        };
        vec![parse_one(file("a")), parse_one(file("b"))]
    }

    #[test]
    fn files_keep_the_features_as_written() {
        assert_eq!(
            places(&scheduled(two_files(), &Schedule::Files)),
            ["a:2,4,6", "b:2,4,6"]
        );
    }

    #[test]
    fn prioritized_runs_the_named_first_then_both_ends_of_every_file() {
        let schedule = Schedule::Prioritized {
            first: vec!["b.feature:4".into(), "nowhere:1".into()],
            skip: Vec::new(),
        };
        assert_eq!(
            places(&scheduled(two_files(), &schedule)),
            ["b:4", "a:6", "b:6", "a:2", "b:2", "a:4"]
        );
    }

    #[test]
    fn prioritized_leaves_out_the_skipped() {
        let schedule = Schedule::Prioritized {
            first: vec!["b.feature:4".into()],
            skip: vec!["b.feature:4".into(), "a.feature:6".into()],
        };
        assert_eq!(
            places(&scheduled(two_files(), &schedule)),
            ["b:6", "a:2", "b:2", "a:4"]
        );
    }

    #[test]
    fn only_runs_the_named_and_keeps_parse_errors() {
        let mut parsed = two_files();
        parsed.push(parse_one(FeatureText {
            path: "broken.feature".into(),
            text: "no Gherkin\n".into(),
        }));
        let out = scheduled(parsed, &Schedule::Only(vec!["a.feature:4".into()]));
        assert_eq!(places(&out[..1]), ["a:4"]);
        assert_eq!(out.len(), 2);
        assert!(out[1].is_err());
    }

    #[tokio::test]
    async fn a_syntax_error_names_the_file() {
        let broken = FeatureText {
            path: "broken.feature".into(),
            text: "this is no Gherkin\n".into(),
        };
        let mut out = TextParser::default().parse(vec![broken], cucumber::cli::Empty);
        let err = out.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("broken.feature"), "{err}");
    }
}
