//! Who may call the `/apiproxy/` endpoints: the token of `X-LEAD-IM-AUTH` (contract,
//! "Look leads up" and "Update a lead"), checked in one order for lookup, get and
//! update, so that every failure is the same answer whichever endpoint gives it.

use super::State;
use crate::error::ApiError;
use crate::fixtures::Scope;
use crate::request::TokenHeader;

impl State {
    /// The account of the URL once `token` may act on it with `scope`. The order of
    /// the checks is part of the contract: the account id's shape, then the token
    /// (present, ASCII, known, of this account), then the account, the scope, and
    /// whether the account is enabled.
    pub(super) fn authorize(
        &self,
        aid: &str,
        token: TokenHeader<'_>,
        scope: Scope,
    ) -> Result<u64, ApiError> {
        let aid: u64 = aid
            .parse()
            .map_err(|_| ApiError::MalformedAccount(aid.into()))?;
        let token = match token {
            TokenHeader::Missing => return Err(ApiError::MissingToken),
            TokenHeader::NotAscii => return Err(ApiError::TokenNotAscii),
            TokenHeader::Value(t) if t.trim().is_empty() => return Err(ApiError::MissingToken),
            TokenHeader::Value(t) => t.trim(),
        };
        let &(owner, scopes) = self.tokens.get(token).ok_or(ApiError::UnknownToken)?;
        // Before looking the account up: a valid token must not tell which other
        // account ids exist.
        if owner != aid {
            return Err(ApiError::TokenOfOtherAccount { owner, aid });
        }
        let account = self
            .accounts
            .get(&aid)
            .ok_or(ApiError::UnknownAccount(aid))?;
        if !scopes.allows(scope) {
            return Err(ApiError::MissingScope(scope.name()));
        }
        if !account.enabled {
            return Err(ApiError::AccountDisabled(aid));
        }
        Ok(aid)
    }
}
