//! Published figures the Experiments tab draws beside ours, each with the table or
//! section it comes from, and the rule for when the comparison is honest: the same
//! model at the same size. Where a paper gives no number for our model, the tab says
//! so instead of drawing one.

use std::f64::consts::E;

use gossip_core::{Cooling, GossipMode, RumorAccounting};

/// SWIM (Das, Gupta and Motivala 2002), section 3.1: with every member probing one
/// random member per protocol period, the expected time from a member's failure to its
/// first detection by some member is e/(e-1) periods, whatever the cluster size.
pub const SWIM_FIRST_DETECTION: f64 = E / (E - 1.0);

/// Where [`SWIM_FIRST_DETECTION`] comes from, for labels.
pub const SWIM_FIRST_DETECTION_SOURCE: &str = "SWIM (Das et al. 2002) §3.1: e/(e−1) ≈ 1.58";

/// One row of Demers et al. 1987's rumor tables: per-node residue `s`, traffic `m`
/// (update messages per node) and `t_last` (cycles), at `k`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemersRow {
    pub k: u32,
    pub residue: f64,
    pub traffic: f64,
    pub t_last: f64,
}

/// A table of Demers et al. 1987, section 1.4.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemersTable {
    /// "Table 1" and what it tabulates.
    pub name: &'static str,
    pub rows: &'static [DemersRow],
}

/// The cluster size of Demers' Tables 1-3.
pub const DEMERS_NODES: u32 = 1000;

const fn row(k: u32, residue: f64, traffic: f64, t_last: f64) -> DemersRow {
    DemersRow {
        k,
        residue,
        traffic,
        t_last,
    }
}

/// Table 1: push, feedback, counter.
const TABLE_1: &[DemersRow] = &[
    row(1, 0.176, 1.74, 16.8),
    row(2, 0.037, 3.30, 16.9),
    row(3, 0.011, 4.53, 17.4),
    row(4, 0.0036, 5.64, 17.5),
    row(5, 0.0012, 6.68, 17.7),
];

/// Table 2: push, blind, coin.
const TABLE_2: &[DemersRow] = &[
    row(1, 0.960, 0.04, 38.0),
    row(2, 0.205, 1.59, 33.0),
    row(3, 0.060, 2.82, 32.0),
    row(4, 0.021, 3.91, 32.0),
    row(5, 0.008, 4.95, 32.0),
];

/// Table 3: pull, feedback, counter.
const TABLE_3: &[DemersRow] = &[
    row(1, 0.031, 2.70, 17.6),
    row(2, 5.8e-4, 4.49, 15.4),
    row(3, 4.0e-6, 6.09, 14.0),
];

/// The table of Demers et al. 1987 for this variant, if the paper has one. Its tables
/// are of the synchronous model, so per-message accounting has none.
pub fn demers_table(
    mode: GossipMode,
    cooling: Cooling,
    accounting: RumorAccounting,
) -> Option<DemersTable> {
    if accounting != RumorAccounting::PerRound {
        return None;
    }
    match (mode, cooling) {
        (GossipMode::Push, Cooling::FeedbackCounter) => Some(DemersTable {
            name: "Demers et al. 1987, Table 1 (push, feedback, counter; n = 1000)",
            rows: TABLE_1,
        }),
        (GossipMode::Push, Cooling::BlindCoin) => Some(DemersTable {
            name: "Demers et al. 1987, Table 2 (push, blind, coin; n = 1000)",
            rows: TABLE_2,
        }),
        (GossipMode::Pull, Cooling::FeedbackCounter) => Some(DemersTable {
            name: "Demers et al. 1987, Table 3 (pull, feedback, counter; n = 1000)",
            rows: TABLE_3,
        }),
        _ => None,
    }
}

impl DemersTable {
    /// The row at `k`, if the table has one.
    pub fn at(&self, k: u32) -> Option<DemersRow> {
        self.rows.iter().copied().find(|row| row.k == k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_only_for_the_papers_own_variants() {
        let table = demers_table(
            GossipMode::Push,
            Cooling::FeedbackCounter,
            RumorAccounting::PerRound,
        )
        .unwrap();
        assert_eq!(table.at(2).unwrap().traffic, 3.30);
        assert_eq!(table.at(6), None);
        assert!(
            demers_table(
                GossipMode::Push,
                Cooling::FeedbackCounter,
                RumorAccounting::PerMessage
            )
            .is_none()
        );
        assert!(
            demers_table(
                GossipMode::PushPull,
                Cooling::FeedbackCounter,
                RumorAccounting::PerRound
            )
            .is_none()
        );
        assert!((SWIM_FIRST_DETECTION - 1.582).abs() < 0.001);
    }
}
