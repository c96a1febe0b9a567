//! The benchmark's data. Large datasets come from the simulator's own generator
//! ([`leadim_simulator::generate`]: one account here, lead `i` always the same), so a
//! workload can address lead `i` by [`phone`]`(i)` without reading the files back.
//! Created accounts are seeded through the admin API with leads built the same way.

use crate::workload::Account;
use leadim_simulator::generate;
use serde::Serialize;
use std::path::Path;

pub use leadim_simulator::generate::{handler, message, name, phone};

/// The phone of submission `seq`: prefix `055`, which [`phone`] never uses, so a
/// submission never shares a seeded or generated lead's phone.
pub fn submit_phone(seq: u64) -> String {
    format!("055{:07}", seq % 10_000_000)
}

/// The account of a generated dataset, as the workloads address it.
pub fn account() -> Account {
    let a = generate::account(0);
    Account {
        aid: a.aid,
        lm_form: a.lm_form.to_string(),
        lm_key: a.lm_key,
        token: a.token,
    }
}

/// Writes a dataset of one account with `leads` leads into `dir`, calling `progress`
/// with the count written now and then.
pub fn write(dir: &Path, leads: u64, progress: impl FnMut(u64)) -> std::io::Result<()> {
    generate::write(dir, leads, 1, progress)
}

#[derive(Serialize)]
struct Fields<'a> {
    #[serde(rename = "שם")]
    name: &'a str,
    #[serde(rename = "טלפון")]
    phone: &'a str,
    #[serde(rename = "עיר")]
    city: &'a str,
    #[serde(rename = "מטפל", skip_serializing_if = "Option::is_none")]
    handler: Option<&'a str>,
}

#[derive(Serialize)]
struct Seed<'a> {
    phone: &'a str,
    fields: Fields<'a>,
}

/// The body of `POST /__admin/accounts/{aid}/leads` that seeds leads `0..count`
/// (phones [`phone`]`(0..count)`) into a created account.
pub fn seed_body(count: u64) -> serde_json::Value {
    let seeds: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let (name, phone) = (name(i), phone(i));
            let seed = Seed {
                phone: &phone,
                fields: Fields {
                    name: &name,
                    phone: &phone,
                    city: "תל אביב-יפו",
                    handler: handler(i),
                },
            };
            serde_json::to_value(seed).expect("a seed is plain JSON")
        })
        .collect();
    serde_json::Value::Array(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_phones_never_collide_with_lead_phones() {
        let lead_phones: std::collections::HashSet<String> = (0..100_000).map(phone).collect();
        assert!((0..100_000).all(|s| !lead_phones.contains(&submit_phone(s))));
    }

    #[test]
    fn the_seed_body_seeds() {
        let body = seed_body(3);
        assert_eq!(body.as_array().unwrap().len(), 3);
        assert_eq!(body[1]["phone"], "052-000-0001");
        assert_eq!(body[1]["fields"]["טלפון"], "052-000-0001");
        assert!(body[1].get("aid").is_none());
    }

    #[test]
    fn the_generated_account_is_the_one_addressed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 300, |_| {}).unwrap();
        let dataset = leadim_simulator::Dataset::load_dir(dir.path()).unwrap();
        let store =
            leadim_simulator::Store::new(dataset, leadim_simulator::PhoneMatch::Exact).unwrap();
        let a = account();
        let token = leadim_simulator::internals::TokenHeader::Value(&a.token);
        let json = leadim_simulator::internals::lookup(
            &store,
            &a.aid.to_string(),
            token,
            Some(&phone(123)),
        )
        .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let found = answer["data"].as_array().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["fields"]["שם"], name(123).as_str());
    }
}
