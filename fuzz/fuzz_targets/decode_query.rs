//! Query-string and form-body decoding: never panics; what decodes is UTF-8 with
//! unique names, at most `MAX_PARAMS` of them, and the same pairs as the
//! `form_urlencoded` crate's (lenient) decoder finds in that input.
#![no_main]

use leadim_simulator::internals::{MAX_PARAMS, Part, parse_urlencoded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = parse_urlencoded(data, Part::Query) {
        assert!(params.len() <= MAX_PARAMS);
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k).collect();
        assert!(names.iter().all(|k| !k.is_empty()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), params.len(), "names are unique");
        // Where the strict decoder accepts, the lenient one has nothing to repair,
        // so both must read the same pairs.
        let reference: Vec<(String, String)> = form_urlencoded::parse(data)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(params.to_pairs(), reference);
    }
});
