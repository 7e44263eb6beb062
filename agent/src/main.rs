use std::io::Write;

use clap::Parser;
use gossip_agent::agent::{Agent, AgentError, AgentOptions, DataDir};
use gossip_agent::cli::{AgentArgs, Cli, Command, LogFormat};
use gossip_agent::{client, cluster, event_handler, http, keyring, settings};
use gossip_core::NodeId;
use tokio::net::UdpSocket;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an agent that stops waits for the handlers of its last events.
const HANDLERS_AT_EXIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How a command failed. What the person gave that cannot be taken exits 2, as a wrong
/// flag does (clap's own status): flags that do not fit together, settings no node
/// would take, a trace or keyring that does not read; and so does a client command
/// whose agent did not carry out the request (unreachable, silent, or refusing it: a
/// missing key). What failed while running (a port in use, a file that cannot be
/// written, an agent that failed to start) exits 1. Either way one line on stderr,
/// for a person.
enum Failure {
    Client(BoxError),
    Usage(String),
    Other(BoxError),
}

impl Failure {
    /// The failure with the agent it happened to named first.
    fn of_agent(self, name: &NodeId) -> Failure {
        match self {
            Failure::Client(error) => Failure::Client(format!("agent {name}: {error}").into()),
            Failure::Usage(message) => Failure::Usage(format!("agent {name}: {message}")),
            Failure::Other(error) => Failure::Other(format!("agent {name}: {error}").into()),
        }
    }
}

impl<E: Into<BoxError>> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure::Other(error.into())
    }
}

fn main() {
    let (code, error) = match run() {
        Ok(()) => return,
        Err(Failure::Client(error)) => (2, error),
        Err(Failure::Usage(message)) => (2, message.into()),
        Err(Failure::Other(error)) => (1, error),
    };
    eprintln!("error: {error}");
    std::process::exit(code);
}

#[tokio::main]
async fn run() -> Result<(), Failure> {
    let cli = Cli::parse();
    // Logs go to stderr: stdout is for what a command prints (reports, tables).
    // Colours only for a terminal, not for a file or a pipe.
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        );
    match cli.log_format {
        LogFormat::Human => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Agent(args) => {
            // Every line an agent logs names it: under `gossip cluster` several agents
            // write to one terminal.
            let span = tracing::info_span!("agent", node = %args.name);
            let name = args.name.clone();
            // And so does the line it fails with.
            agent(*args)
                .instrument(span)
                .await
                .map_err(|failure| failure.of_agent(&name))?
        }
        Command::Cluster(args) => cluster::run(&args, cli.log_format, Interrupts::listen().wait())
            .await
            .map_err(|error| match error {
                cluster::ClusterError::Refused(refused) => Failure::Usage(refused),
                failed => Failure::Other(failed.into()),
            })?,
        Command::Members(args) => print(client_call(move || client::members(&args)).await?),
        Command::Kv(args) => print(client_call(move || client::kv(&args)).await?),
        Command::Stats(args) => print(client_call(move || client::stats(&args)).await?),
        Command::Event(args) => print(client_call(move || client::event(&args)).await?),
        Command::Leave(args) => print(client_call(move || client::leave(&args)).await?),
        Command::Join(args) => print(client_call(move || client::join(&args)).await?),
        Command::ForceLeave(args) => print(client_call(move || client::force_leave(&args)).await?),
        Command::Keys(args) => print(client_call(move || client::keys(&args)).await?),
        Command::Tags(args) => print(client_call(move || client::tags(&args)).await?),
        Command::Version => print(format!(
            "gossip {}\nwire protocol version {}",
            env!("CARGO_PKG_VERSION"),
            gossip_core::wire::WIRE_VERSION
        )),
        Command::Keygen(args) => match args.keyring {
            Some(path) => {
                keyring::create(&path)?;
                print(format!(
                    "wrote a new keyring with one key to {}",
                    path.display()
                ));
            }
            None => print(keyring::Key::generate().to_base64()),
        },
        Command::Events(args) => {
            client_call(move || client::events(&args, &mut std::io::stdout())).await?
        }
        Command::Datagrams(args) => {
            client_call(move || {
                gossip_agent::datagram_watch::datagrams(&args, &mut std::io::stdout())
            })
            .await?
        }
        Command::Sim(args) => {
            let experiment = args.experiment;
            let report =
                tokio::task::spawn_blocking(move || gossip_agent::experiments::run(&experiment))
                    .await?;
            match report {
                Ok(report) => print(report),
                Err(refused) if refused.is_in_the_input() => {
                    return Err(Failure::Usage(refused.to_string()));
                }
                Err(failed) => return Err(failed.into()),
            }
        }
    }
    Ok(())
}

/// Runs one agent: its settings in layers, its socket, its HTTP API if asked for, until
/// interrupted or told to leave.
async fn agent(args: AgentArgs) -> Result<(), Failure> {
    let interrupts = Interrupts::listen();
    let config = settings::layered(
        args.preset.config(args.cluster_size),
        args.config.as_deref(),
        settings::environment(),
        &args.settings,
    )
    .map_err(|refused| Failure::Usage(refused.to_string()))?;
    for (misspelt, meant) in settings::misspelt_variables(settings::environment()) {
        tracing::warn!(
            variable = %misspelt,
            "this environment variable names no setting and is ignored: did you mean {meant}?"
        );
    }
    if args.bind.ip().is_unspecified() && args.advertise.is_none() {
        return Err(Failure::Usage(format!(
            "--bind {} listens on every interface, so the other members need to be told \
             which address reaches this node: add --advertise IP:PORT",
            args.bind
        )));
    }
    if args
        .advertise
        .is_some_and(|a| a.ip().is_unspecified() || a.port() == 0)
    {
        return Err(Failure::Usage(
            "--advertise must be an address others can reach: a real IP and a port, not 0.0.0.0 or port 0".into(),
        ));
    }
    let socket = UdpSocket::bind(args.bind)
        .await
        .map_err(|e| format!("cannot bind {}: {e}{}", args.bind, http::in_use_hint(&e)))?;
    let rng_seed = args.rng_seed.unwrap_or_else(rand::random);
    tracing::info!(rng_seed, "the node's random choices come from this seed");
    let keyring = match &args.keyring {
        Some(path) => {
            Some(keyring::KeyringFile::load(path).map_err(|e| Failure::Usage(e.to_string()))?)
        }
        None => None,
    };
    if let Some(key) = twice_given(&args.tags) {
        return Err(Failure::Usage(format!(
            "the tag {key:?} is given twice (--tag {key}=...): give each tag once"
        )));
    }
    let given = gossip_core::Tags::new(args.tags.clone())
        .map_err(|e| Failure::Usage(format!("--tag: {e}")))?;
    // The page's tag is a convenience: where the given tags leave no room for it, they
    // go without it.
    let tags = gossip_core::Tags::new(with_page_tag(args.tags, args.http, args.advertise))
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "no room for the http tag beside --tag: the other agents' pages will not link to this one");
            given
        });
    let options = AgentOptions {
        name: args.name,
        join: args.join,
        advertise: args.advertise,
        cluster_name: args.cluster_name,
        tags,
        keyring,
        config,
        rng_seed,
    };
    let (mut agent, handle) = Agent::new(socket, options).map_err(|error| match error {
        AgentError::SeedOfOtherFamily { .. } => Failure::Usage(error.to_string()),
        error => error.into(),
    })?;
    if let Some(dir) = &args.data_dir {
        agent = agent.with_data_dir(DataDir::open(dir)?)?;
    }
    let handlers = (!args.event_handlers.is_empty()).then(|| {
        event_handler::spawn(
            handle.clone(),
            args.event_handlers,
            event_handler::TIME_LIMIT,
        )
    });
    let (stopped, on_stop) = tokio::sync::oneshot::channel::<()>();
    let api = match args.http {
        Some(addr) => {
            let listener = http::bind(addr).await?;
            if !addr.ip().is_loopback() {
                tracing::warn!(%addr, "the HTTP API has no accounts: whoever reaches this address can read and change this agent");
            }
            tracing::info!(%addr, "HTTP API listening");
            let shutdown = async {
                let _ = on_stop.await;
            };
            let ui_dir = args
                .ui_dir
                .clone()
                .unwrap_or_else(gossip_agent::ui::default_dir);
            tracing::info!(page = %format!("http://{addr}/"), ui_dir = %ui_dir.display(), "web page");
            if args.ui_dir.is_some() && !ui_dir.join("index.html").is_file() {
                tracing::warn!(ui_dir = %ui_dir.display(), "--ui-dir holds no index.html: the page says how to build the lab, and the API works regardless");
            }
            Some(tokio::spawn(
                http::serve(
                    listener,
                    handle,
                    Some(ui_dir),
                    http::AllowedHosts::new(args.http_hosts.clone()),
                    shutdown,
                )
                .in_current_span(),
            ))
        }
        None => None,
    };
    let stop_with_launcher = args.stop_when_stdin_closes;
    agent
        .run(async move {
            if stop_with_launcher {
                tokio::select! {
                    () = interrupts.wait() => {}
                    () = stdin_closed() => tracing::info!("standard input closed: leaving"),
                }
            } else {
                interrupts.wait().await;
            }
        })
        .await?;
    let _ = stopped.send(());
    if let Some(mut handlers) = handlers {
        // The last events' handlers (the others leaving while this one did) get a
        // moment to run; a run still going then is killed with its process group.
        if tokio::time::timeout(HANDLERS_AT_EXIT, &mut handlers)
            .await
            .is_err()
        {
            handlers.abort();
            let _ = handlers.await;
            tracing::warn!("event handlers still running at exit were stopped");
        }
    }
    if let Some(api) = api {
        // Open event streams would hold a graceful shutdown forever: give it a moment.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), api).await;
    }
    Ok(())
}

/// `tags` with `http=ADDR` added, where this agent serves its page, unless a tag
/// `http` is given: every agent's page links to the others' pages through it. A page
/// on every interface (`0.0.0.0`) is named by the advertised address's IP.
/// A tag's key given more than once, if any: the last would silently win.
fn twice_given(tags: &[(String, String)]) -> Option<&str> {
    tags.iter()
        .enumerate()
        .find(|(i, (key, _))| tags[..*i].iter().any(|(earlier, _)| earlier == key))
        .map(|(_, (key, _))| key.as_str())
}

fn with_page_tag(
    mut tags: Vec<(String, String)>,
    http: Option<std::net::SocketAddr>,
    advertise: Option<std::net::SocketAddr>,
) -> Vec<(String, String)> {
    let Some(mut page) = http else {
        return tags;
    };
    if page.ip().is_unspecified() {
        match advertise {
            Some(advertised) => page.set_ip(advertised.ip()),
            None => return tags,
        }
    }
    if !tags.iter().any(|(key, _)| key == "http") {
        tags.push(("http".to_owned(), page.to_string()));
    }
    tags
}

/// Runs a blocking client call off the runtime; its failure exits 2.
async fn client_call<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, client::ClientError> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(call).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) => Err(Failure::Client(error.into())),
        Err(error) => Err(Failure::Other(error.into())),
    }
}

/// Prints a command's answer; a closed pipe (`| head`) is not an error worth a panic.
fn print(text: String) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Completes when standard input reaches its end (or fails). The read blocks, so it runs
/// on a thread of its own: a runtime's blocking pool would keep the process alive after
/// the agent has stopped for another reason, until the input closed.
async fn stdin_closed() {
    let (closed, on_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    let _ = on_closed.await;
}

/// Ctrl-C and, on Unix, SIGTERM and SIGHUP: either way the agent leaves gracefully.
/// SIGHUP is what a closed terminal or a dropped ssh session sends: by default it
/// would kill the agent at once, and the cluster would take it for a crash. Listened
/// to from the moment the agent starts, so that a signal that comes while it is still
/// binding, loading its data dir or looking up its seeds is held until it runs, rather
/// than killing it the default way.
struct Interrupts {
    #[cfg(unix)]
    signals: Option<[tokio::signal::unix::Signal; 3]>,
}

impl Interrupts {
    fn listen() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = (|| {
                Ok::<_, std::io::Error>([
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::hangup())?,
                ])
            })();
            if let Err(error) = &signals {
                tracing::warn!(%error, "cannot listen for SIGTERM and SIGHUP: only Ctrl-C stops the agent gracefully");
            }
            Interrupts {
                signals: signals.ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Interrupts {}
        }
    }

    /// Completes when one of the signals has come (or came already).
    async fn wait(self) {
        #[cfg(unix)]
        if let Some([mut terminate, mut interrupt, mut hangup]) = self.signals {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
                _ = hangup.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{twice_given, with_page_tag};

    #[test]
    fn a_tag_given_twice_is_found() {
        let tags = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(twice_given(&tags(&[("a", "b"), ("c", "d")])), None);
        assert_eq!(
            twice_given(&tags(&[("a", "b"), ("c", "d"), ("a", "c")])),
            Some("a")
        );
    }

    #[test]
    fn an_agent_with_a_page_tags_where_it_is_unless_told() {
        let at = |text: &str| Some(text.parse().unwrap());
        let tag = |key: &str, value: &str| (key.to_owned(), value.to_owned());
        assert_eq!(
            with_page_tag(vec![tag("role", "web")], at("127.0.0.1:9001"), None),
            [tag("role", "web"), tag("http", "127.0.0.1:9001")]
        );
        assert_eq!(
            with_page_tag(vec![], at("0.0.0.0:9001"), at("10.0.0.7:7946")),
            [tag("http", "10.0.0.7:9001")],
            "a page on every interface is named by the advertised IP"
        );
        assert_eq!(
            with_page_tag(
                vec![tag("http", "example.org:80")],
                at("127.0.0.1:9001"),
                None
            ),
            [tag("http", "example.org:80")]
        );
        assert!(with_page_tag(vec![], None, None).is_empty());
    }
}
