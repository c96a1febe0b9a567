//! Body decoding by content type (form, multipart, JSON, anything else): never
//! panics, never hangs, and the journal's second decoding shows what the handler saw.
#![no_main]

use bytes::Bytes;
use hyper::{HeaderMap, Method, Uri, header};
use leadim_simulator::internals::{BodyKinds, ParamsUsed, Request};
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
        uri: Uri::from_static("/apiproxy/3305/api/lead_update.ashx?by_id=117000001"),
        headers,
        body: Bytes::copy_from_slice(body),
        received: jiff::Timestamp::UNIX_EPOCH,
    };
    let merged = runtime().block_on(request.merged_params(BodyKinds::FormOrJson));
    // The journal decodes the parameters again when read: it must show what the
    // handler saw.
    if let Ok(params) = &merged {
        let used = ParamsUsed::Merged(BodyKinds::FormOrJson);
        assert_eq!(request.decode_again(used), params.to_pairs());
    }
});
