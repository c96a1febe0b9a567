//! Which scenarios caught broken adapters, how quickly, and the ranking file that
//! carries that to the next run: an order for the scenarios, never a verdict.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What each scenario (`file:line`) that caught a broken adapter has done so far.
#[derive(Debug, Default)]
pub(super) struct Kills(Mutex<HashMap<String, Kill>>);

/// One scenario's kills.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Kill {
    /// How many broken adapters it caught.
    count: usize,
    /// How long it took on its own, the last time it confirmed a kill.
    took: Duration,
}

impl Kill {
    /// Kills per second of running it (half a second added for the run's own
    /// start-up): a run waits for the scenarios it started before its first failure,
    /// so a quick killer is worth more than a slow one (a hang, a late answer) that
    /// caught as many.
    fn worth(self) -> f64 {
        self.count as f64 / (self.took.as_secs_f64() + 0.5)
    }
}

impl Kills {
    /// The scenarios that caught something, the most worth first.
    pub(super) fn ranking(&self) -> Vec<String> {
        self.ranked().into_iter().map(|(place, _)| place).collect()
    }

    fn ranked(&self) -> Vec<(String, Kill)> {
        let kills = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ranked: Vec<(String, Kill)> = kills
            .iter()
            .map(|(place, kill)| (place.clone(), *kill))
            .collect();
        ranked.sort_by(|a, b| {
            b.1.worth()
                .total_cmp(&a.1.worth())
                .then_with(|| a.0.cmp(&b.0))
        });
        ranked
    }

    /// The kills a ranking file kept; nothing when it is missing, and no line that
    /// does not read as `count<TAB>milliseconds<TAB>file:line`.
    pub(super) fn read(file: &Path) -> Self {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let kills = text
            .lines()
            .filter_map(|line| {
                let mut cells = line.splitn(3, '\t');
                let count = cells.next()?.parse().ok()?;
                let took = Duration::from_millis(cells.next()?.parse().ok()?);
                Some((cells.next()?.to_owned(), Kill { count, took }))
            })
            .collect();
        Self(Mutex::new(kills))
    }

    /// `count<TAB>milliseconds<TAB>file:line` lines, the most worth first.
    pub(super) fn to_text(&self) -> String {
        self.ranked()
            .into_iter()
            .map(|(place, kill)| format!("{}\t{}\t{place}\n", kill.count, kill.took.as_millis()))
            .collect()
    }

    pub(super) fn record(&self, place: &str, took: Duration) {
        let mut kills = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kill = kills.entry(place.to_owned()).or_default();
        kill.count += 1;
        kill.took = took;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_killers_rank_first_and_the_file_round_trips() {
        let kills = Kills::default();
        let quick = Duration::from_millis(300);
        kills.record("resilience.feature:98", Duration::from_millis(3600));
        kills.record("resilience.feature:98", Duration::from_millis(3600));
        kills.record("display.feature:127", quick);
        kills.record("open_ticket.feature:19", quick);
        kills.record("open_ticket.feature:19", quick);
        let text = kills.to_text();
        assert_eq!(
            text,
            "2\t300\topen_ticket.feature:19\n1\t300\tdisplay.feature:127\n2\t3600\tresilience.feature:98\n"
        );
        let file = std::env::temp_dir().join(format!("leadim-ranking-{}", std::process::id()));
        std::fs::write(&file, format!("{text}junk\n1\tx\tlookup.feature:1\n")).unwrap();
        let read = Kills::read(&file);
        let _ = std::fs::remove_file(&file);
        assert_eq!(read.ranking(), kills.ranking());
        assert!(
            Kills::read(Path::new("/nonexistent/ranking"))
                .ranking()
                .is_empty()
        );
    }
}
