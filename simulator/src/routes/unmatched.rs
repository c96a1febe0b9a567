//! What a request that matches no route was probably meant to be: the account its
//! path names, so that it lands in that account's journal (where the adapter's
//! author looks), and the nearest path the simulator serves, for a "did you mean".

use super::{API_ROUTES, ApiRow, Segment, split};

/// A request for a path the simulator does not serve, read as well as it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unmatched {
    /// The account its path names (`/apiproxy/{aid}/…`, `/a/{aid}/…`), if any.
    pub account: Option<u64>,
    /// The diagnostic: the path, and what it probably meant.
    pub message: String,
    /// What it probably meant, as the message's end says it (`did you mean
    /// lead_update.ashx?`), for the answer.
    pub hint: Option<String>,
}

/// The most edits a path may be from a served one to be suggested: a misspelt
/// extension or a letter too many, not an unrelated path.
const MAX_EDITS: usize = 4;

/// Reads a path that matched no route.
pub(crate) fn unmatched(path: &str) -> Unmatched {
    let segments = split(path.strip_suffix('/').unwrap_or(path));
    let segments = segments.as_ref().map_or(&[][..], |s| &s.list[..s.len]);
    let account = match segments {
        [proxy, aid, ..] if proxy.eq_ignore_ascii_case("apiproxy") => aid.parse().ok(),
        ["a", aid, ..] => aid.parse().ok(),
        _ => None,
    };
    let nearest = API_ROUTES
        .iter()
        .map(|row| rendered(row, segments))
        .map(|served| {
            let edits =
                strsim::levenshtein(&path.to_ascii_lowercase(), &served.to_ascii_lowercase());
            (edits, served)
        })
        .min_by_key(|(edits, _)| *edits)
        .filter(|(edits, _)| *edits <= MAX_EDITS);
    let (message, hint) = match nearest {
        Some((_, served)) => {
            let (sent, meant) = differing(path, &served);
            let hint = format!("did you mean {meant}?");
            (format!("no such endpoint: {sent}; {hint}"), Some(hint))
        }
        None => (
            format!(
                "no such endpoint: {path}; the simulator serves /v2/submit, /v1/submit, \
                 /apiproxy/{{aid}}/api/leads_get.ashx, lead_get.ashx and lead_update.ashx"
            ),
            None,
        ),
    };
    Unmatched {
        account,
        message,
        hint,
    }
}

/// A row's path with the request's own account and lead ids in their places, so
/// that only the misspelt part counts as edits.
fn rendered(row: &ApiRow, sent: &[&str]) -> String {
    let mut path = String::new();
    for (i, segment) in row.path.iter().enumerate() {
        path.push('/');
        match segment {
            Segment::Is(text) => path.push_str(text),
            Segment::Aid | Segment::Lid => path.push_str(sent.get(i).copied().unwrap_or("1")),
        }
    }
    path
}

/// The two paths as the message shows them: only their last segments when they
/// differ only there (`lead_update.asx`, `lead_update.ashx`), whole otherwise.
fn differing<'a>(sent: &'a str, meant: &'a str) -> (&'a str, &'a str) {
    match (sent.rsplit_once('/'), meant.rsplit_once('/')) {
        (Some((a, sent_last)), Some((b, meant_last))) if a.eq_ignore_ascii_case(b) => {
            (sent_last, meant_last)
        }
        _ => (sent, meant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_file_names_the_file_and_the_account() {
        let u = unmatched("/apiproxy/3305/api/lead_update.asx");
        assert_eq!(u.account, Some(3305));
        assert_eq!(
            u.message,
            "no such endpoint: lead_update.asx; did you mean lead_update.ashx?"
        );
    }

    #[test]
    fn a_misspelt_folder_shows_both_paths() {
        let u = unmatched("/apiproxy/9001/apii/leads_get.ashx");
        assert_eq!(u.account, Some(9001));
        assert_eq!(
            u.message,
            "no such endpoint: /apiproxy/9001/apii/leads_get.ashx; \
             did you mean /apiproxy/9001/api/leads_get.ashx?"
        );
    }

    #[test]
    fn a_submit_names_no_account() {
        let u = unmatched("/v2/submti");
        assert_eq!(u.account, None);
        assert_eq!(u.message, "no such endpoint: submti; did you mean submit?");
    }

    #[test]
    fn an_unrelated_path_gets_no_guess() {
        let u = unmatched("/wp-login.php");
        assert_eq!(u.account, None);
        assert!(
            u.message
                .starts_with("no such endpoint: /wp-login.php; the simulator serves")
        );
    }
}
