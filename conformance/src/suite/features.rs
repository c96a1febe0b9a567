//! The feature files and seed flows, embedded in the binary so that it runs from any
//! directory, and the cucumber parser over them (or over a directory's files).

use std::collections::BTreeMap;
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

/// A cucumber parser over feature texts already in memory, with Scenario Outlines
/// expanded as cucumber's own parser does.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextParser;

type Parsed = std::result::Result<gherkin::Feature, parser::Error>;

impl Parser<Vec<FeatureText>> for TextParser {
    type Cli = cucumber::cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<Parsed>>;

    fn parse(self, input: Vec<FeatureText>, _: Self::Cli) -> Self::Output {
        let parsed: Vec<Parsed> = input.into_iter().map(parse_one).collect();
        stream::iter(parsed)
    }
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
        let features: Vec<_> = TextParser
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

    #[tokio::test]
    async fn a_syntax_error_names_the_file() {
        let broken = FeatureText {
            path: "broken.feature".into(),
            text: "this is no Gherkin\n".into(),
        };
        let mut out = TextParser.parse(vec![broken], cucumber::cli::Empty);
        let err = out.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("broken.feature"), "{err}");
    }
}
