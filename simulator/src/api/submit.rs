//! `GET|POST /v2/submit`: creates a lead from `lm_form`/`lm_key` and the form's fields.

use crate::error::SubmitError;
use crate::reply::{Exchange, Failure, Reply};
use crate::request::{BodyKinds, ParamsUsed, Request};
use crate::store::Store;
use hyper::{Method, StatusCode};

/// Handles one submission.
pub async fn handle(store: &Store, req: &Request, ex: &mut Exchange) -> Reply {
    let (decoded, used) = if req.method == Method::POST {
        let used = ParamsUsed::Merged(BodyKinds::Form);
        (req.merged_params(BodyKinds::Form).await, used)
    } else {
        if !req.body.is_empty() {
            ex.note("body ignored: a GET submission takes its parameters from the query string");
        }
        (req.query_params(), ParamsUsed::Query)
    };
    let params = match decoded {
        Ok(p) => p,
        Err(e) => return failure(store, ex, SubmitError::Decode(e), None),
    };
    let redirect = params.get("lm_redirect");
    let wants_json = redirect.is_some_and(|v| v.eq_ignore_ascii_case("no"))
        || params
            .get("lm_format")
            .is_some_and(|v| v.eq_ignore_ascii_case("json"));
    let outcome = store.submit(&params, req.received);
    let form_id = params.get("lm_form").and_then(|f| f.trim().parse().ok());
    ex.params = used;
    match outcome {
        Err(e) => failure(store, ex, e, form_id),
        Ok(done) => {
            ex.account = Some(done.aid);
            ex.diagnostics.extend(done.diagnostics);
            if wants_json {
                return Reply::success_result(done.lid);
            }
            let checked = redirect.map(|r| (r, absolute_http(r)));
            let target = match &checked {
                Some((_, Some(url))) => url.as_str(),
                Some((other, None)) => {
                    ex.note(format!(
                        "lm_redirect '{other}' is neither 'no' nor an absolute http(s) URL: redirected to the form's thank-you page"
                    ));
                    &done.thank_you_url
                }
                None => &done.thank_you_url,
            };
            ex.note(format!("lead {} created; answered with a redirect to {target} (send lm_redirect=no for JSON)", done.lid));
            Reply::redirect(target)
        }
    }
}

fn failure(store: &Store, ex: &mut Exchange, error: SubmitError, form_id: Option<u64>) -> Reply {
    ex.account = ex
        .account
        .or_else(|| form_id.and_then(|f| store.account_of_form(f)));
    let message = error.to_string();
    match error.code() {
        Some(code) => ex.note(format!("refused with code {code}: {message}")),
        None => ex.note(format!("refused: {message}")),
    }
    Reply::json(StatusCode::OK, &Failure::new(&message, error.code()))
}

fn absolute_http(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()).then(|| parsed.into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_absolute_http_urls_redirect_and_without_control_characters() {
        use super::absolute_http;
        assert_eq!(
            absolute_http("https://example.co.il/תודה").as_deref(),
            Some("https://example.co.il/%D7%AA%D7%95%D7%93%D7%94")
        );
        assert_eq!(absolute_http("HTTP://x").as_deref(), Some("http://x/"));
        assert!(
            !absolute_http("https://x/a\r\nSet-Cookie: a=b")
                .unwrap()
                .contains('\n')
        );
        assert!(absolute_http("/thanks").is_none());
        assert!(absolute_http("https://").is_none());
        assert!(absolute_http("javascript:alert(1)").is_none());
        assert!(absolute_http("yes").is_none());
    }
}
