//! Body decoding by content type (form, multipart, JSON, anything else): never
//! panics, never hangs.
#![no_main]

use bytes::Bytes;
use hyper::{HeaderMap, Method, header};
use leadim_simulator::request::{BodyKinds, Request};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=XyZ",
    "application/json",
    "application/json; charset=utf-8",
    "multipart/form-data",
    "text/plain",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        TYPES[selector as usize % TYPES.len()].parse().unwrap(),
    );
    let request = Request {
        method: Method::POST,
        path: "/apiproxy/3305/api/lead_update.ashx".into(),
        query: None,
        headers,
        body: Bytes::copy_from_slice(body),
    };
    let _ = runtime().block_on(request.merged_params(BodyKinds::FormOrJson));
});
