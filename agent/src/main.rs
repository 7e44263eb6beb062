use std::io::Write;

use clap::Parser;
use gossip_agent::agent::{Agent, AgentOptions};
use gossip_agent::cli::{Cli, Command};
use tokio::net::UdpSocket;
use tracing_subscriber::EnvFilter;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Errors are printed for a person (not as debug output) with exit status 1.
fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

#[tokio::main]
async fn run() -> Result<(), BoxError> {
    let cli = Cli::parse();
    // Logs go to stderr: stdout is for what a command prints (reports, tables).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match cli.command {
        Command::Agent(args) => {
            let socket = UdpSocket::bind(args.bind)
                .await
                .map_err(|e| format!("cannot bind {}: {e}", args.bind))?;
            let options = AgentOptions {
                name: args.name,
                join: args.join,
                config: args.preset.config(args.cluster_size),
                rng_seed: args.rng_seed.unwrap_or_else(rand::random),
            };
            let (agent, _handle) = Agent::new(socket, options)?;
            agent.run(interrupted()).await?;
        }
        Command::Sim(args) => {
            let experiment = args.experiment;
            let report =
                tokio::task::spawn_blocking(move || gossip_agent::experiments::run(&experiment))
                    .await??;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{report}");
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM: either way the agent leaves gracefully.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
