//! The corpus: its broken adapters, the bug each names, and the command that runs
//! each.

use std::path::{Path, PathBuf};

use super::MutantsError;

/// One broken adapter of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// Its file.
    pub file: PathBuf,
    /// The bug its opening comment names.
    pub bug: String,
}

impl Mutant {
    /// The file name, as reports show it.
    pub fn name(&self) -> String {
        self.file.file_name().map_or_else(
            || self.file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// The command for a file when no template is given: `python3 {file}` for `.py`,
/// `node {file}` for `.js`, `.mjs` and `.cjs`.
pub fn default_template(file: &Path) -> Option<&'static str> {
    match file.extension()?.to_str()? {
        "py" => Some("python3 {file}"),
        "js" | "mjs" | "cjs" => Some("node {file}"),
        _ => None,
    }
}

/// The command line for one adapter file: the template with `{file}` replaced by
/// the path in single quotes (for `sh -c`).
pub fn command_for(template: &str, file: &Path) -> String {
    let quoted = format!("'{}'", file.display().to_string().replace('\'', r"'\''"));
    template.replace("{file}", &quoted)
}

/// The bug a file's opening comment names: the comment lines (`#` or `//`) at its
/// top, after a `#!` line, joined; `None` when it opens with anything else.
pub fn bug_comment(source: &str) -> Option<String> {
    let mut lines = source.lines().peekable();
    if lines.peek().is_some_and(|l| l.starts_with("#!")) {
        lines.next();
    }
    let words: Vec<&str> = lines
        .map(str::trim)
        .map_while(|l| l.strip_prefix("//").or_else(|| l.strip_prefix('#')))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let bug = words.join(" ");
    (!bug.is_empty()).then_some(bug)
}

/// The adapters of a corpus directory, by file name: every file but hidden ones,
/// notes (`.md`, `.txt`) and directories (`__pycache__`).
pub fn read_corpus(dir: &Path) -> Result<Vec<Mutant>, MutantsError> {
    let io = |source| MutantsError::Corpus {
        dir: dir.to_path_buf(),
        source,
    };
    let mut mutants = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let note = path.extension().is_some_and(|e| e == "md" || e == "txt");
        if !path.is_file() || note || name.is_none_or(|n| n.starts_with('.')) {
            continue;
        }
        let source = std::fs::read_to_string(&path).map_err(io)?;
        let bug = bug_comment(&source).ok_or_else(|| MutantsError::NoBug(path.clone()))?;
        mutants.push(Mutant { file: path, bug });
    }
    if mutants.is_empty() {
        return Err(MutantsError::Empty(dir.to_path_buf()));
    }
    mutants.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(mutants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bug_is_the_opening_comment() {
        let py = "#!/usr/bin/env python3\n# Bug: sends the chat title as fld_name.\n# Always.\n\nimport os\n";
        assert_eq!(
            bug_comment(py).as_deref(),
            Some("Bug: sends the chat title as fld_name. Always.")
        );
        assert_eq!(
            bug_comment("// Bug: no timeout\nconst x = 1;\n").as_deref(),
            Some("Bug: no timeout")
        );
        assert_eq!(bug_comment("#!/bin/sh\nexit 1\n"), None);
        assert_eq!(bug_comment("\"\"\"docstring\"\"\"\n"), None);
    }

    #[test]
    fn commands_quote_the_path_for_sh() {
        let file = Path::new("/tmp/it's broken.py");
        assert_eq!(
            command_for("python3 {file}", file),
            r"python3 '/tmp/it'\''s broken.py'"
        );
        assert_eq!(default_template(Path::new("a.mjs")), Some("node {file}"));
        assert_eq!(default_template(Path::new("a.rb")), None);
    }
}
