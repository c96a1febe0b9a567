//! Arbitrary query strings through decoding into `/v2/submit` and back out through a
//! lookup: the store never panics, and a lead it accepted is found again by its
//! phone (in normalized mode, as the fuzzer's store uses).
#![no_main]

use leadim_simulator::internals::{self, Part, TokenHeader, parse_urlencoded};
use leadim_simulator::phone::normalize;
use leadim_simulator::{Dataset, PhoneMatch, Store};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| Store::new(Dataset::embedded(), PhoneMatch::Normalized).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let prefix = b"lm_form=5001&lm_key=77bc0ec981&";
    let query = [prefix.as_slice(), data].concat();
    let Ok(params) = parse_urlencoded(&query, Part::Query) else {
        return;
    };
    let store = store();
    let now = jiff::Timestamp::now().as_second();
    if let Ok(lid) = internals::submit(store, &params, now) {
        let lead = store.lead(3305, lid).expect("a created lead can be read back");
        // A phone without digits has no normalized key, so it is not indexed.
        if !normalize(&lead.phone).is_empty() {
            let token = TokenHeader::Value("U-d5f9403e30b5281d.6484eb0eaa3c4f85");
            let json = internals::lookup(store, "3305", token, Some(&lead.phone))
                .expect("lookup answers");
            // The endpoint's hand-written JSON says exactly what serde says of the
            // account's leads with that phone, newest first.
            let found = internals::lookup_views(store, 3305, &lead.phone);
            assert!(found.iter().any(|l| l.lid == lid));
            let expected = serde_json::json!({"status": "success", "data": found});
            assert_eq!(json, serde_json::to_vec(&expected).unwrap());
        }
        if lid % 4096 == 0 {
            store.reset().expect("the embedded fixtures load");
        }
    }
});
