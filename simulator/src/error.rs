//! The typed errors of the Lead.IM endpoints. Each maps explicitly to the answer the
//! real service gives (see `api/`): a failure envelope with HTTP 200, and for
//! `/v2/submit` a numeric code.

use crate::request::DecodeError;

/// Why `/v2/submit` refused a lead. [`SubmitError::code`] is the v1 API's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No `lm_form`.
    #[error("lm_form is missing")]
    MissingForm,
    /// `lm_form` is not a form id.
    #[error("lm_form '{0}' is malformed: it must be a number")]
    MalformedForm(String),
    /// No `lm_key`.
    #[error("lm_key is missing")]
    MissingKey,
    /// `lm_key` does not match the form.
    #[error("wrong lm_key for form {0}")]
    WrongKey(u64),
    /// No such form.
    #[error("form {0} not found")]
    FormNotFound(u64),
    /// The form is disabled.
    #[error("form {0} is disabled")]
    FormDisabled(u64),
    /// The form's account is disabled.
    #[error("account {0} is disabled")]
    AccountDisabled(u64),
    /// The same submission was accepted moments ago (a form set to refuse repeats).
    #[error("duplicate request: form {form} accepted the same submission within {secs} seconds")]
    Duplicate {
        /// The form.
        form: u64,
        /// Its window.
        secs: u64,
    },
    /// The parameters could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
}

/// Lead.IM's error codes (the v1 API's, which v2 failure envelopes carry in `code`),
/// with what each means.
pub const CODES: &[(i32, &str)] = &[
    (-1, "wrong lm_key"),
    (-3, "lm_form is malformed"),
    (-4, "form not found"),
    (-5, "channel disabled"),
    (-6, "unknown mode"),
    (-7, "wrong account"),
    (-8, "account disabled"),
    (-10, "blocked IP"),
    (-50, "duplicate request"),
    (-999, "internal error"),
];

/// What a code means, or `None` for a number that is not one of [`CODES`].
pub fn code_meaning(code: i32) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

impl SubmitError {
    /// The v1 API's error code; `None` for a request that could not be decoded, for
    /// which the real service's code is unknown (modeled: the envelope has no code).
    pub fn code(&self) -> Option<i32> {
        match self {
            SubmitError::MissingKey | SubmitError::WrongKey(_) => Some(-1),
            SubmitError::MissingForm | SubmitError::MalformedForm(_) => Some(-3),
            SubmitError::FormNotFound(_) => Some(-4),
            SubmitError::FormDisabled(_) => Some(-5),
            SubmitError::AccountDisabled(_) => Some(-8),
            SubmitError::Duplicate { .. } => Some(-50),
            SubmitError::Decode(_) => None,
        }
    }
}

/// Why a call to the `/apiproxy/` endpoints (lookup, get, update) failed. The
/// `Display` text is the answer's `error`; [`ApiError::diagnostic`] says more, for
/// the journal only (it may name another account, which the answer must not).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No `X-LEAD-IM-AUTH` header.
    #[error("missing X-LEAD-IM-AUTH header (or APIKEY field)")]
    MissingToken,
    /// A header value that is not visible ASCII.
    #[error("invalid X-LEAD-IM-AUTH header: not ASCII text")]
    TokenNotAscii,
    /// A token no account has.
    #[error("invalid token")]
    UnknownToken,
    /// A valid token of another account.
    #[error("invalid token")]
    TokenOfOtherAccount {
        /// The token's account.
        owner: u64,
        /// The account of the URL.
        aid: u64,
    },
    /// The token lacks the scope the endpoint needs.
    #[error("token lacks the {0} scope")]
    MissingScope(&'static str),
    /// `{aid}` in the path is not a number.
    #[error("account id '{0}' is malformed")]
    MalformedAccount(String),
    /// No account with that id.
    #[error("account {0} not found")]
    UnknownAccount(u64),
    /// The account is disabled.
    #[error("account {0} is disabled")]
    AccountDisabled(u64),
    /// A required parameter is missing or empty.
    #[error("{0} is required")]
    MissingParam(&'static str),
    /// `by_id` is not a lead id.
    #[error("by_id '{0}' is malformed: it must be a number")]
    MalformedId(String),
    /// No lead with that id in this account (also for leads of other accounts).
    #[error("lead {0} not found")]
    LeadNotFound(u64),
    /// `status_id`/`state_id` is not a number.
    #[error("{key} '{value}' is malformed: it must be a number")]
    MalformedStatus {
        /// `status_id` or `state_id`.
        key: &'static str,
        /// What was sent.
        value: String,
    },
    /// The parameters could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
}

impl ApiError {
    /// The journal's wording: the answer's, plus what the answer must not reveal.
    pub fn diagnostic(&self) -> String {
        match self {
            ApiError::TokenOfOtherAccount { owner, aid } => {
                format!("invalid token: it belongs to account {owner}, not {aid}")
            }
            ApiError::UnknownToken => "invalid token: no account has this token".into(),
            other => other.to_string(),
        }
    }
}
