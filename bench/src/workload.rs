//! The requests of each scenario, built the way a Texter-style adapter sends them:
//! Hebrew values percent-encoded (with `+` for spaces), the token in
//! `X-LEAD-IM-AUTH`, a `Host` header on every request.
//!
//! - **submit** — `GET /v2/submit?lm_form&lm_key&lm_redirect=no&name&phone&email&msg`,
//!   a new, distinct phone each time.
//! - **lookup** — `GET /apiproxy/{aid}/api/leads_get.ashx?by_phone=` with a phone of a
//!   lead the account holds, picked at random.
//! - **update** — `POST /apiproxy/{aid}/api/lead_update.ashx`, form body
//!   `by_id=<lid>&מטפל=<Hebrew name>`, a known lead picked at random.
//! - **mixed** — the three in turn.

use crate::client::{Req, host};
use crate::dataset;
use crate::load::MakeRequest;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// The header that carries the token.
pub const AUTH_HEADER: &str = "x-lead-im-auth";

/// A scenario of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// `/v2/submit` with Hebrew parameters.
    Submit,
    /// `leads_get.ashx?by_phone` with a token.
    Lookup,
    /// `lead_update.ashx` with a Hebrew field value.
    Update,
    /// Submit, lookup and update in turn.
    Mixed,
}

impl Scenario {
    /// The three measured against the baseline, in the order they run.
    pub const COMPARED: [Scenario; 3] = [Scenario::Submit, Scenario::Lookup, Scenario::Update];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Submit => "submit",
            Scenario::Lookup => "lookup",
            Scenario::Update => "update",
            Scenario::Mixed => "mixed",
        })
    }
}

/// What the requests need to know about the account they address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub aid: u64,
    /// Form id.
    pub lm_form: String,
    /// Form key.
    pub lm_key: String,
    /// A read+write token.
    pub token: String,
}

/// The leads a workload looks up and updates: phones `dataset::phone(0..phones)`
/// are in the account, and `lids` are ids of some of its leads.
#[derive(Debug, Clone)]
pub struct Known {
    /// How many of the dataset's phones the account holds.
    pub phones: u64,
    /// Lead ids to update.
    pub lids: Arc<Vec<u64>>,
}

/// Builds a scenario's requests for one server.
#[derive(Debug)]
pub struct Workload {
    host: HeaderValue,
    token: HeaderValue,
    submit_prefix: String,
    names: Vec<String>,
    messages: Vec<String>,
    lookup_prefix: String,
    update_path: String,
    update_suffixes: Vec<String>,
    known: Known,
}

impl Workload {
    /// The requests for `account` on the server at `addr`.
    pub fn new(addr: SocketAddr, account: &Account, known: Known) -> Workload {
        let aid = account.aid;
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let handler_key = enc("מטפל");
        Workload {
            host: host(addr),
            token: HeaderValue::from_str(&account.token).expect("tokens are ASCII"),
            submit_prefix: format!(
                "/v2/submit?lm_form={}&lm_key={}&lm_redirect=no",
                enc(&account.lm_form),
                enc(&account.lm_key)
            ),
            names: (0..16).map(|i| enc(&dataset::name(i))).collect(),
            messages: (0..4).map(|i| enc(dataset::message(i))).collect(),
            lookup_prefix: format!("/apiproxy/{aid}/api/leads_get.ashx?by_phone="),
            update_path: format!("/apiproxy/{aid}/api/lead_update.ashx"),
            // Lead 1 + 5k has the k-th handler of the generator's list.
            update_suffixes: (0..8)
                .filter_map(|k| dataset::handler(1 + 5 * k))
                .map(|h| format!("&{handler_key}={}", enc(h)))
                .collect(),
            known,
        }
    }

    /// A request maker for the load generator.
    pub fn maker(self: &Arc<Self>, scenario: Scenario) -> MakeRequest {
        let me = self.clone();
        match scenario {
            Scenario::Submit => Arc::new(move |seq| me.submit(seq)),
            Scenario::Lookup => Arc::new(move |seq| me.lookup(seq)),
            Scenario::Update => Arc::new(move |seq| me.update(seq)),
            Scenario::Mixed => Arc::new(move |seq| match seq % 3 {
                0 => me.submit(seq / 3),
                1 => me.lookup(seq / 3),
                _ => me.update(seq / 3),
            }),
        }
    }

    /// A submission with a phone no other submission of this run has.
    pub fn submit(&self, seq: u64) -> Req {
        let pick = mix(seq);
        let name = &self.names[pick as usize % self.names.len()];
        let message = &self.messages[(pick >> 8) as usize % self.messages.len()];
        let uri = format!(
            "{}&name={name}&phone={}&email=lead{seq}%40example.co.il&msg={message}",
            self.submit_prefix,
            dataset::submit_phone(seq)
        );
        self.get(uri)
    }

    /// A lookup of a phone the account holds, picked at random.
    pub fn lookup(&self, seq: u64) -> Req {
        self.lookup_of(mix(seq ^ 0x5eed) % self.known.phones.max(1))
    }

    /// A lookup of lead `i`'s phone, [`dataset::phone`]`(i)`.
    pub fn lookup_of(&self, i: u64) -> Req {
        // Phones are digits and dashes: nothing to encode.
        let mut req = self.get(format!("{}{}", self.lookup_prefix, dataset::phone(i)));
        req.headers_mut().insert(AUTH_HEADER, self.token.clone());
        req
    }

    /// An update of a known lead's handler (`מטפל`).
    pub fn update(&self, seq: u64) -> Req {
        let pick = mix(seq ^ 0xda7a);
        let lids = &self.known.lids;
        let lid = lids[pick as usize % lids.len().max(1)];
        let suffix = &self.update_suffixes[(pick >> 40) as usize % self.update_suffixes.len()];
        let body = format!("by_id={lid}{suffix}");
        Request::builder()
            .method(Method::POST)
            .uri(self.update_path.as_str())
            .header(HOST, self.host.clone())
            .header(AUTH_HEADER, self.token.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request")
    }

    fn get(&self, uri: String) -> Req {
        Request::builder()
            .uri(uri)
            .header(HOST, self.host.clone())
            .body(Full::new(Bytes::new()))
            .expect("a valid request")
    }
}

/// splitmix64: a well-spread pseudo-random number from a sequence number, so that
/// picks are random but every run sends the same requests.
pub fn mix(seq: u64) -> u64 {
    let mut z = seq.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
