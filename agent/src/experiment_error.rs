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
    /// A trace file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    File {
        action: &'static str,
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
