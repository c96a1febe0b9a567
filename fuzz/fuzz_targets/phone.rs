//! Phone handling on both sides: the simulator's lookup keys and the adapter's
//! display formatting and lookup candidates never panic, and every candidate of a
//! number normalizes to the same key.
#![no_main]

use leadim_conformance::phone::{PhoneStyle, format_phone, lookup_candidates};
use leadim_simulator::phone::normalize;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let key = normalize(input);
    assert!(key.bytes().all(|b| b.is_ascii_digit()));
    let _ = format_phone(input, PhoneStyle::Smart, "IL");
    let _ = format_phone(input, PhoneStyle::E164, "IL");
    let candidates = lookup_candidates(input);
    if input.len() >= 9 && input.bytes().all(|b| b.is_ascii_digit()) {
        let keys: Vec<String> = candidates.iter().map(|c| normalize(c)).collect();
        assert!(
            keys.windows(2).all(|w| w[0] == w[1]),
            "candidates of {input:?} are different numbers: {candidates:?}"
        );
    }
});
