//! The page's query (`?seed=7&nodes=200`), which sets up a fresh lab: the same seed
//! gives the same run, so a query is how a run is named in a bug report or a lesson.
//! A parameter the lab cannot use is said on the page. Passed over in silence, a
//! mistyped `?sed=7` would give a run nobody asked for, with nothing to say why.

use crate::cluster::MAX_NODES;

/// What a query asks for, and what in it was not used.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PageQuery {
    pub seed: Option<u64>,
    pub nodes: Option<usize>,
    /// One sentence for each parameter not used as given.
    pub problems: Vec<String>,
}

impl PageQuery {
    /// Reads `?seed=N&nodes=N` (the leading `?` optional). The first of a repeated
    /// parameter counts; an out-of-range size is brought to the nearest the lab runs.
    pub fn read(query: &str) -> PageQuery {
        let mut read = PageQuery::default();
        let pairs = query.trim_start_matches('?').split('&');
        for pair in pairs.filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "seed" if read.seed.is_none() => match value.parse() {
                    Ok(seed) => read.seed = Some(seed),
                    Err(_) => read.problems.push(format!(
                        "seed={value} is not a whole number from 0 to {}",
                        u64::MAX
                    )),
                },
                // Read as u64, so that a size too large reads the same in wasm32 as
                // natively (its usize is 32 bits).
                "nodes" if read.nodes.is_none() => match value.parse::<u64>() {
                    Ok(nodes) => {
                        let runs = nodes.clamp(1, MAX_NODES as u64) as usize;
                        read.nodes = Some(runs);
                        if runs as u64 != nodes {
                            read.problems.push(format!(
                                "nodes={nodes} is out of range, 1 to {MAX_NODES}: the lab \
                                 runs {runs}"
                            ));
                        }
                    }
                    Err(_) => read.problems.push(format!(
                        "nodes={value} is not a whole number from 1 to {MAX_NODES}"
                    )),
                },
                "seed" | "nodes" => read.problems.push(format!("{pair} repeats {name}")),
                _ => read.problems.push(format!(
                    "{name} means nothing here: the lab reads seed and nodes"
                )),
            }
        }
        read
    }

    /// The sentence the page shows, `None` when the whole query was used.
    pub fn complaint(&self) -> Option<String> {
        (!self.problems.is_empty()).then(|| {
            format!(
                "the page's address was not all used: {}",
                self.problems.join("; ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_names_the_seed_and_the_size() {
        let query = PageQuery::read("?seed=7&nodes=200");
        assert_eq!(query.seed, Some(7));
        assert_eq!(query.nodes, Some(200));
        assert_eq!(query.complaint(), None);
        assert_eq!(PageQuery::read(""), PageQuery::default());
        assert_eq!(PageQuery::read("?"), PageQuery::default());
        assert_eq!(PageQuery::read("nodes=1").nodes, Some(1));
    }

    #[test]
    fn what_is_not_used_is_said() {
        let query = PageQuery::read("?sed=7&seed=x&nodes=five");
        assert_eq!((query.seed, query.nodes), (None, None));
        assert_eq!(
            query.complaint().unwrap(),
            "the page's address was not all used: sed means nothing here: the lab reads \
             seed and nodes; seed=x is not a whole number from 0 to 18446744073709551615; \
             nodes=five is not a whole number from 1 to 10000"
        );
        let repeated = PageQuery::read("seed=1&seed=2");
        assert_eq!(repeated.seed, Some(1));
        assert_eq!(repeated.problems, ["seed=2 repeats seed"]);
        assert_eq!(PageQuery::read("seed=-1").seed, None);
    }

    #[test]
    fn a_size_out_of_range_is_brought_in_and_said() {
        let big = PageQuery::read("nodes=20000");
        assert_eq!(big.nodes, Some(MAX_NODES));
        assert_eq!(
            big.problems,
            ["nodes=20000 is out of range, 1 to 10000: the lab runs 10000"]
        );
        let none = PageQuery::read("nodes=0");
        assert_eq!(none.nodes, Some(1));
        assert_eq!(
            none.problems,
            ["nodes=0 is out of range, 1 to 10000: the lab runs 1"]
        );
        // Beyond 32 bits, as wasm32's usize is.
        assert_eq!(PageQuery::read("nodes=5000000000").nodes, Some(MAX_NODES));
        assert_eq!(PageQuery::read("seed=7&").seed, Some(7));
        assert_eq!(
            PageQuery::read("seed=").problems,
            ["seed= is not a whole number from 0 to 18446744073709551615"]
        );
    }
}
