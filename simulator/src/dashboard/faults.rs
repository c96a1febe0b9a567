//! The faults: those in force with their counters, a form that adds one (read as
//! the JSON `POST /__admin/faults` takes, so it is refused for the same reasons),
//! and buttons that clear one or all.

use super::{Nav, form_fields, query, render, see_other};
use crate::faults::{ActiveFault, FaultSpec, Target, Trigger, When};
use crate::reply::Reply;
use crate::request::{Params, Request};
use crate::routes::Endpoint;
use crate::server::Services;
use askama::Template;
use hyper::StatusCode;
use serde_json::{Map, Value, json};

/// A fault as its row shows it.
struct FaultRow {
    id: u64,
    account: String,
    endpoint: &'static str,
    kind: String,
    when: &'static str,
    trigger: String,
    matched: u64,
    fired: u64,
    exhausted: bool,
}

impl From<ActiveFault> for FaultRow {
    fn from(fault: ActiveFault) -> FaultRow {
        let spec = fault.spec;
        let trigger = match spec.trigger {
            Trigger::Always => "every one".to_owned(),
            Trigger::Next(n) => format!("the next {n}"),
            Trigger::Nth(k) => format!("only the {k}-th"),
            Trigger::Probability { p, seed } => match seed {
                Some(seed) => format!("each with probability {p} (seed {seed})"),
                None => format!("each with probability {p}"),
            },
        };
        FaultRow {
            id: fault.id,
            account: spec
                .account
                .map_or_else(|| "every account".to_owned(), |a| a.to_string()),
            endpoint: match spec.endpoint {
                Target::All => "every endpoint",
                Target::Only(endpoint) => endpoint.name(),
            },
            kind: spec.fault.to_string(),
            when: match spec.when {
                When::Before => "before the handler",
                When::After => "after the handler",
            },
            trigger: if fault.exhausted {
                format!("{trigger} (used up)")
            } else {
                trigger
            },
            matched: fault.matched,
            fired: fault.fired,
            exhausted: fault.exhausted,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/faults.html")]
struct FaultsPage<'a> {
    nav: Nav,
    faults: Vec<FaultRow>,
    endpoints: Vec<&'static str>,
    problem: Option<&'a str>,
    added: Option<u64>,
}

/// `GET /__admin/ui/faults`; with a `problem`, the form's refusal (422).
pub(super) fn page(app: &Services, req: &Request, problem: Option<&str>) -> Reply {
    let added = query(req).get("added").and_then(|a| a.parse().ok());
    let page = FaultsPage {
        nav: Nav::new(app, "faults"),
        faults: app.faults.list().into_iter().map(FaultRow::from).collect(),
        endpoints: Endpoint::ALL
            .into_iter()
            .filter(|e| e.faultable())
            .map(Endpoint::name)
            .collect(),
        problem,
        added: added.filter(|_| problem.is_none()),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// `POST /__admin/ui/faults`: adds the fault the form describes.
pub(super) fn add(app: &Services, req: &Request) -> Reply {
    let fields = match form_fields(req) {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let exists = |aid| app.store.account(aid).is_some();
    let added =
        spec(&fields).and_then(|spec| app.faults.add(spec, exists).map_err(|e| e.to_string()));
    match added {
        Ok(id) => see_other(&format!("/__admin/ui/faults?added={id}")),
        Err(problem) => page(app, req, Some(&problem)),
    }
}

/// `POST /__admin/ui/faults/clear`: clears the fault `id`, or every fault.
pub(super) fn clear(app: &Services, req: &Request) -> Reply {
    let fields = match form_fields(req) {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    match fields.get("id").and_then(|id| id.parse().ok()) {
        Some(id) => {
            app.faults.remove(id);
        }
        None => app.faults.clear(),
    }
    see_other("/__admin/ui/faults")
}

/// A field's value, unless it is left empty.
fn filled<'a>(fields: &'a Params<'_>, key: &str) -> Option<&'a str> {
    fields.get(key).map(str::trim).filter(|v| !v.is_empty())
}

/// The spec the form describes, written as the admin API's JSON and read as it is.
fn spec(fields: &Params<'_>) -> Result<FaultSpec, String> {
    let field = |key: &str| filled(fields, key);
    let number = |key: &str| -> Result<Option<Value>, String> {
        field(key)
            .map(|v| {
                v.parse::<u64>()
                    .map(Value::from)
                    .map_err(|_| format!("{key} must be a whole number, not '{v}'"))
            })
            .transpose()
    };
    let kind = field("kind").unwrap_or("status");
    let mut fault = Map::new();
    fault.insert("kind".into(), kind.into());
    match kind {
        "status" => {
            fault.insert("status".into(), number("status")?.unwrap_or(503.into()));
            if let Some(seconds) = number("retry_after")? {
                fault.insert("retry_after".into(), seconds);
            }
        }
        "envelope" => {
            fault.insert("message".into(), field("message").unwrap_or("שגיאה").into());
        }
        "latency" => {
            let ms = number("ms")?.ok_or("a late answer needs its delay in ms")?;
            fault.insert("ms".into(), ms);
        }
        _ => {}
    }
    let mut spec = json!({
        "endpoint": field("endpoint").unwrap_or("all"),
        "fault": fault,
        "when": field("when").unwrap_or("before"),
    });
    if let Some(account) = number("account")? {
        spec["account"] = account;
    }
    match field("trigger").unwrap_or("always") {
        "always" => {}
        trigger @ ("next" | "nth") => {
            spec[trigger] = number("count")?.ok_or("give N")?;
        }
        "probability" => {
            let p = field("probability").unwrap_or_default();
            let p: f64 = p
                .parse()
                .map_err(|_| format!("the probability must be a number from 0 to 1, not '{p}'"))?;
            spec["probability"] = p.into();
            if let Some(seed) = number("seed")? {
                spec["seed"] = seed;
            }
        }
        other => return Err(format!("unknown choice of requests '{other}'")),
    }
    serde_json::from_value(spec).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::{AnswerFault, FaultKind};
    use crate::request::{Part, parse_urlencoded};

    fn read(form: &str) -> Result<FaultSpec, String> {
        spec(&parse_urlencoded(form.as_bytes(), Part::Body).unwrap())
    }

    #[test]
    fn the_form_reads_as_the_admin_api_json() {
        let spec = read("endpoint=submit&account=3305&trigger=next&count=2&kind=status&status=503&retry_after=5&when=before").unwrap();
        let expected = FaultSpec::new(
            Endpoint::Submit,
            AnswerFault::Status {
                status: 503,
                retry_after: Some(5),
            },
        )
        .for_account(3305)
        .times(2);
        assert_eq!(spec, expected);
        let late =
            read("endpoint=lookup&trigger=always&kind=latency&ms=800&when=after&count=1").unwrap();
        assert_eq!(late.fault, FaultKind::Latency { ms: 800 });
        assert_eq!(late.when, When::After);
        assert_eq!(late.trigger, Trigger::Always);
    }

    #[test]
    fn a_form_that_does_not_make_sense_says_why() {
        assert_eq!(
            read("kind=status&status=200").unwrap_err(),
            "status 200 is not an error status (400–599)"
        );
        assert_eq!(
            read("kind=latency&ms=").unwrap_err(),
            "a late answer needs its delay in ms"
        );
        assert_eq!(
            read("kind=close&account=שלוש").unwrap_err(),
            "account must be a whole number, not 'שלוש'"
        );
    }
}
