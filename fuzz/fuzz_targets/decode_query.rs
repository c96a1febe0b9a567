//! Query-string and form-body decoding: never panics; what decodes is UTF-8 with
//! unique names, at most `MAX_PARAMS` of them.
#![no_main]

use leadim_simulator::request::{MAX_PARAMS, Part, parse_urlencoded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = parse_urlencoded(data, Part::Query) {
        assert!(params.len() <= MAX_PARAMS);
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k).collect();
        assert!(names.iter().all(|k| !k.is_empty()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), params.len(), "names are unique");
    }
});
