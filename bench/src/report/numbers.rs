//! How numbers are written in the table and the verdicts: grouped thousands,
//! milliseconds from microseconds, MB of 10^6 bytes, `?` for a reading that is missing.

/// `12,345`.
pub fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn ms_bare(us: f64) -> String {
    format!("{:.3}", us / 1000.0)
}

pub(super) fn ms(us: f64) -> String {
    format!("{:.3} ms", us / 1000.0)
}

pub(super) fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub(super) fn opt1(x: Option<f64>) -> String {
    x.map_or("?".into(), |x| format!("{x:.1}"))
}

pub(super) fn opt2(x: Option<f64>) -> String {
    x.map_or("?".into(), |x| format!("{x:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
