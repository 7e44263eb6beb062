//! Why a `gossip sim` experiment could not run.

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// Bad settings.
    #[error(transparent)]
    Config(#[from] gossip_core::Error),
    /// A simulation that refused to run.
    #[error(transparent)]
    Sim(#[from] gossip_sim::Error),
    /// The trace file given could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The trace could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A trace file that is not a trace.
    #[error("{path} is not a trace: {source}")]
    NotATrace {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    /// A recording of a real cluster given where a trace was asked for.
    #[error(
        "{path} is a recording of a real cluster (`gossip cluster --record`), not a trace of a simulated run: open it in the lab's \"open a trace or recording\" input"
    )]
    ARecording { path: std::path::PathBuf },
}

impl ExperimentError {
    /// Whether what the command was given is at fault (its flags, its settings, the
    /// trace it named), which exits 2 as a wrong flag does; a run is deterministic, so
    /// only writing its trace can fail on its own.
    pub fn is_in_the_input(&self) -> bool {
        !matches!(self, ExperimentError::Write { .. })
    }
}
