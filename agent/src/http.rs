//! The agent's HTTP API (axum): the member table, the key/value store, counters, the
//! live event stream, configuration and a graceful leave. Every answer is JSON; every
//! error is JSON `{"error": "..."}` with the status that fits (400 bad input, 404 no such
//! key or route, 408 a body that did not arrive in time, 413 too large, 503 the agent
//! has stopped).
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz` | `ok` while the agent runs |
//! | `GET /api/members` | every member: name, address, status, incarnation; `?status=`, `?name=REGEX` and `?tag=KEY=REGEX` narrow the list |
//! | `GET /api/kv` | every key with its versions (siblings) and vector clocks |
//! | `GET /api/kv/{key}` | one key; 404 if this node never held it |
//! | `PUT /api/kv/{key}` | body: the value (UTF-8 text); answers the new version |
//! | `DELETE /api/kv/{key}` | deletes it (a tombstone that spreads); 404 if it held no value |
//! | `GET /api/stats` | members by status, probes, messages and bytes by kind, uptime |
//! | `GET /api/events` | server-sent events, one per node event, as JSON; `?recent=true` starts with the kept ones |
//! | `GET /api/events/recent` | the last events, oldest first, each with its time |
//! | `POST /api/user-events/{name}` | body: a payload (UTF-8 text, may be empty); send a user event every member hears once (413 over 512 bytes with the name, 400 a name with control or bidirectional formatting characters) |
//! | `GET /api/datagrams` | server-sent events, one per datagram sent or received |
//! | `GET /api/config` | the protocol settings in force |
//! | `POST /api/leave` | leave the cluster gracefully; the agent then stops |
//! | `POST /api/force-leave` | body: a member's name; declare it, held dead, to have left (404 unknown, 422 not dead) |
//! | `POST /api/join` | body: a JSON array of `IP:PORT` or `HOST:PORT`; exchange full state with each ([`crate::join`]) |
//! | `GET /api/tags`, `PUT /api/tags`, `PATCH /api/tags` | this agent's tags; PUT a JSON object to replace them, PATCH one to change some (`null` deletes a tag) |
//! | `GET /api/keys` | the keyring: every key, the primary first (422 without `--keyring`) |
//! | `POST /api/keys/install`, `use`, `remove` | body: a base64 key; add it, seal with it, forget it |
//! | `GET /metrics` | the counters in Prometheus text format |
//! | `GET /` | the web page in live mode ([`crate::ui`]), and the files of its build |

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_io_timeout::TimeoutStream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tracing::Instrument;

use crate::agent::{AgentError, AgentHandle, EventId, FollowFrom, KeyChange};
use crate::keyring::{Key, KeyringError};
use crate::member_filter::MemberFilter;
use crate::seeds::{Seed, can_send, resolve_each};

/// The largest request body taken: a value is at most `max_value_len` (512 bytes by
/// default); anything far beyond that is refused before it is read.
const BODY_LIMIT: usize = 64 * 1024;

/// How long a request's body may take to arrive, all of it: the largest body takes a
/// few milliseconds on any network an API without accounts belongs on.
const BODY_TIME_LIMIT: Duration = Duration::from_secs(10);

/// The host names, besides IP addresses and `localhost`, that the API and the page may
/// be reached by (`gossip agent --http-host`).
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    /// Allows `names` too.
    pub fn new(names: Vec<String>) -> AllowedHosts {
        AllowedHosts(names.into())
    }

    /// Whether a `Host` header names an IP address, `localhost` or one of these names
    /// (with or without a port).
    fn allow(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        name.eq_ignore_ascii_case("localhost")
            || name.parse::<std::net::IpAddr>().is_ok()
            || self
                .0
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(name))
    }
}

/// The API's routes over `agent`, and with `ui_dir` the web page ([`crate::ui`]) at
/// `/`; answering only requests addressed to an IP address or one of `allowed_hosts`.
pub fn router(agent: AgentHandle, ui_dir: Option<PathBuf>, allowed_hosts: AllowedHosts) -> Router {
    let node = agent.name().to_string();
    let api = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/members", get(members))
        .route("/api/kv", get(keys))
        .route("/api/kv/{key}", get(key).put(put).delete(delete))
        .route("/api/stats", get(stats))
        .route("/api/events", get(events))
        .route("/api/events/recent", get(recent_events))
        .route("/api/user-events/{name}", post(send_user_event))
        .route("/api/datagrams", get(datagrams))
        .route("/api/config", get(config))
        .route("/api/leave", post(leave))
        .route("/api/join", post(join))
        .route("/api/force-leave", post(force_leave))
        .route("/api/tags", get(tags).put(set_tags).patch(patch_tags))
        .route("/api/keys", get(keyring))
        .route("/api/keys/{change}", post(change_key))
        .route("/metrics", get(metrics))
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not one of this route's methods"),
            )
        })
        .with_state(agent);
    let not_found =
        Router::new().fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") });
    let app = match ui_dir {
        Some(dir) => api.merge(crate::ui::routes(dir, node, not_found)),
        None => api.merge(not_found),
    };
    // The body is read whole, within its limits, before any route sees it.
    app.layer(axum::middleware::from_fn(whole_body_in_time))
        .layer(axum::middleware::from_fn(refuse_stray_query))
        .layer(axum::middleware::from_fn_with_state(
            allowed_hosts,
            refuse_other_pages,
        ))
}

/// The API has no accounts, so it guards against the ways a visitor's browser could be
/// made to use it by a page from elsewhere:
///
/// * A page can have its own host name point at 127.0.0.1 (DNS rebinding), after which
///   its requests reach the agent as same-origin ones, with that name in `Host`, and
///   without an `Origin` on reads. So every request must name the agent by an IP
///   address, `localhost` or a name given with `--http-host`, as dev servers'
///   allowed-hosts lists do. The CLI always names an address.
/// * Browsers name the page's origin on every request that changes something, and only
///   the agent's own page (the same host and port) may change it.
async fn refuse_other_pages(
    State(allowed_hosts): State<AllowedHosts>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::{Method, header};
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "a request must say which host it is for (a Host header, as HTTP/1.1 has); this agent answers only those addressed to an IP address, localhost or an --http-host name",
        )
        .into_response();
    };
    if !allowed_hosts.allow(host) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "this agent answers only requests addressed to an IP address or localhost (as http://127.0.0.1:PORT/), or to a name given to it with --http-host",
        )
        .into_response();
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    let foreign = headers
        .get(header::ORIGIN)
        .is_some_and(|origin| origin.to_str().ok() != Some(format!("http://{host}").as_str()));
    if changes && foreign {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "a page from another origin may not change this agent",
        )
        .into_response();
    }
    next.run(request).await
}

/// A body whose declared length is over [`BODY_LIMIT`] is refused before a byte of it
/// is read, so a client is not kept sending what will be refused. Any other body is read
/// whole here, within [`BODY_TIME_LIMIT`] and cut off at the limit, before the route
/// sees it: a client that declares a body and then sends it slowly, or never, would
/// otherwise hold its connection open for good (and a few thousand such hold the
/// agent's sockets). Headers sent slowly are not timed: like the rest of an API without
/// accounts, that is left to keeping it on loopback or a trusted network.
/// The API's routes that read a query; every other `/api/` route is asked without one.
const ROUTES_WITH_A_QUERY: [&str; 2] = ["/api/members", "/api/events"];

/// A query on an API route that reads none is refused, as an unknown parameter is where
/// a query is read: `PUT /api/kv/colour?ttl=60` would otherwise write `colour` and drop
/// the `ttl` without a word.
async fn refuse_stray_query(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = request.uri();
    if let Some(query) = uri.query()
        && uri.path().starts_with("/api/")
        && !ROUTES_WITH_A_QUERY.contains(&uri.path())
    {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{} takes no parameters: ?{query}", uri.path()),
        )
        .into_response();
    }
    next.run(request).await
}

async fn whole_body_in_time(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return too_large().into_response();
    }
    let (parts, body) = request.into_parts();
    let mut chunks = body.into_data_stream();
    let mut whole = Vec::new();
    let read = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the body: {e}"),
                )
            })?;
            if whole.len() + chunk.len() > BODY_LIMIT {
                return Err(too_large());
            }
            whole.extend_from_slice(&chunk);
        }
        Ok(())
    };
    match tokio::time::timeout(BODY_TIME_LIMIT, read).await {
        Ok(Ok(())) => {
            let request = axum::extract::Request::from_parts(parts, whole.into());
            next.run(request).await
        }
        Ok(Err(error)) => error.into_response(),
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive whole within {} s",
                BODY_TIME_LIMIT.as_secs()
            ),
        )
        .into_response(),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is over the {BODY_LIMIT} bytes the API takes"),
    )
}

/// How long the HTTP server waits on a client before closing its connection.
#[derive(Clone, Copy, Debug)]
struct TimeLimits {
    /// How long a client may take to send a request's head, and how long a kept-alive
    /// connection may sit idle before its next request: a connection that sends nothing
    /// is closed rather than holding a task and a socket for as long as its client
    /// likes. Responses, event streams included, are not limited by it.
    head: Duration,
    /// How long one write of a response may wait for the client to take what was sent
    /// before: a client that stops reading (its window shut) is let go, rather than
    /// holding the connection's task and buffers for good. A reader that keeps up,
    /// however long its stream runs, never waits this long.
    write: Duration,
}

/// The limits the agent serves with.
const TIME_LIMITS: TimeLimits = TimeLimits {
    head: Duration::from_secs(10),
    write: Duration::from_secs(30),
};

/// Serves the API (and the page from `ui_dir`) on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    agent: AgentHandle,
    ui_dir: Option<PathBuf>,
    allowed_hosts: AllowedHosts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(
        listener,
        router(agent, ui_dir, allowed_hosts),
        TIME_LIMITS,
        shutdown,
    )
    .await;
    Ok(())
}

/// Serves `app` over HTTP/1.1, each connection in a task of its own, closing any
/// whose client outwaits `limits`. Once `shutdown` completes it stops accepting, lets
/// each connection finish the response it is writing, and returns when all have
/// closed.
///
/// This is `axum::serve` with a timer given to hyper and a write timeout on the
/// socket: without them a connection that never finishes its head (a slow-loris
/// client) or never reads its answer stays open forever.
async fn serve_router(
    listener: TcpListener,
    app: Router,
    limits: TimeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write));
        let connection = http.serve_connection(
            TokioIo::new(Box::pin(stream)),
            TowerToHyperService::new(app.clone()),
        );
        let connection = connections.watch(connection);
        // In the agent's span, as everything it logs: a join asked for over HTTP
        // logs the seeds it cannot resolve.
        tokio::spawn(
            async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "HTTP connection ended with an error");
                }
            }
            .in_current_span(),
        );
    }
    connections.shutdown().await;
}

/// After a failed accept: a connection that its client reset before it was taken is
/// no matter, but anything else (most often too many open files) is logged and waited
/// out for a second, so that the loop does not spin on it.
async fn wait_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "the HTTP API cannot accept a connection; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Binds `addr` for the API, with the address in the error.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot bind the HTTP API to {addr}: {e}{}", in_use_hint(&e)))
}

/// For an address in use, who may hold it: an agent stopped a moment ago holds its
/// socket while it says goodbye.
pub fn in_use_hint(error: &std::io::Error) -> &'static str {
    if error.kind() == std::io::ErrorKind::AddrInUse {
        " (another process has it; an agent stopped a moment ago keeps it for about a second while it leaves)"
    } else {
        ""
    }
}

/// An error answer: a status and one line saying what was wrong.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<AgentError> for ApiError {
    fn from(error: AgentError) -> ApiError {
        let status = match &error {
            AgentError::Stopped | AgentError::LocalAddr(_) => StatusCode::SERVICE_UNAVAILABLE,
            AgentError::Disk(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AgentError::Core(gossip_core::Error::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            AgentError::Core(gossip_core::Error::Left | gossip_core::Error::Busy(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AgentError::Core(gossip_core::Error::UnknownMember(_)) => StatusCode::NOT_FOUND,
            AgentError::Core(gossip_core::Error::NotDead(_) | gossip_core::Error::BadTag(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AgentError::Core(_) => StatusCode::BAD_REQUEST,
            AgentError::Keyring(KeyringError::NotBase64 | KeyringError::WrongLength(_)) => {
                StatusCode::BAD_REQUEST
            }
            AgentError::Keyring(KeyringError::Unknown) => StatusCode::NOT_FOUND,
            AgentError::Keyring(KeyringError::RemovingPrimary | KeyringError::Empty)
            | AgentError::NoKeyring
            | AgentError::SeedOfOtherFamily { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AgentError::Keyring(KeyringError::File(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Every member, or those a [`MemberFilter`] keeps.
async fn members(
    State(agent): State<AgentHandle>,
    RawQuery(query): RawQuery,
) -> ApiResult<Vec<crate::view::MemberInfo>> {
    let pairs = query_pairs(query.as_deref().unwrap_or_default())
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, message))?;
    let filter = MemberFilter::from_query(pairs)
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, message))?;
    let mut members = agent.members().await?;
    members.retain(|member| filter.keeps(member));
    Ok(Json(members))
}

async fn keys(State(agent): State<AgentHandle>) -> ApiResult<Vec<crate::view::KeyInfo>> {
    Ok(Json(agent.keys().await?))
}

/// A query's parameters and values, percent-decoded (`+` a space, as forms write it).
/// One whose escapes decode to bytes that are not UTF-8 is refused, naming it: no name
/// or tag holds such bytes, and read as U+FFFD, as a lenient decoder reads them, it
/// would match nothing without a word.
fn query_pairs(query: &str) -> Result<Vec<(String, String)>, String> {
    let decoded = |text: &str, whole: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| format!("{whole}: its escapes are not UTF-8 text"))
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (parameter, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decoded(parameter, pair)?, decoded(value, pair)?))
        })
        .collect()
}

/// A path's key, or a JSON error for one that does not decode.
fn key_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(key)| key)
        .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))
}

/// A request's body, or a JSON error for one that could not be read (too large, say).
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        status => ApiError::new(status, rejection.body_text()),
    })
}

/// A request's body as text; `not_text` says what it should have been.
fn text_of(body: Result<Bytes, BytesRejection>, not_text: &str) -> Result<String, ApiError> {
    String::from_utf8(body_of(body)?.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, not_text))
}

async fn key(
    State(agent): State<AgentHandle>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<crate::view::KeyInfo> {
    let key = key_of(path)?;
    match agent.key(&key).await? {
        Some(info) => Ok(Json(info)),
        None => {
            let max = agent.config().await?.max_key_len;
            if key.len() > max {
                // A key no node can hold: said as a write of it would be, and not echoed.
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("key is {} bytes, over the limit of {max}", key.len()),
                ));
            }
            // Whether the key is among them or not, a reader should know reads are not
            // whole yet.
            let aside = agent.stats().await.map_or(0, |stats| stats.keys_aside);
            let why = match aside {
                0 => String::new(),
                1 => "; 1 key restored from the data dir is held aside until this node has \
                      caught up with its peers"
                    .to_owned(),
                _ => format!(
                    "; {aside} keys restored from the data dir are held aside until this node \
                     has caught up with its peers"
                ),
            };
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no key {key:?} on this node{why}"),
            ))
        }
    }
}

async fn put(
    State(agent): State<AgentHandle>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<crate::view::KeyInfo> {
    let key = key_of(path)?;
    let value = text_of(body, "the value must be UTF-8 text")?;
    let version = agent.put(&key, &value).await?;
    Ok(Json(crate::view::KeyInfo::new(&key, &[version])))
}

/// A user event named by the path, its payload the body (may be empty): every member,
/// this one included, hears it once as a `user` event on its stream and runs its
/// handlers. Answers what was sent.
async fn send_user_event(
    State(agent): State<AgentHandle>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let name = key_of(path)?;
    let payload = text_of(body, "the payload must be UTF-8 text")?;
    agent.send_user_event(&name, &payload).await?;
    Ok(Json(json!({
        "origin": agent.name().to_string(),
        "name": name,
        "payload": payload,
    })))
}

async fn delete(
    State(agent): State<AgentHandle>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<crate::view::KeyInfo> {
    let key = key_of(path)?;
    match agent.delete(&key).await? {
        Some(tombstone) => Ok(Json(crate::view::KeyInfo::new(&key, &[tombstone]))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no value for {key:?} on this node"),
        )),
    }
}

async fn stats(State(agent): State<AgentHandle>) -> ApiResult<crate::view::StatsInfo> {
    Ok(Json(agent.stats().await?))
}

async fn metrics(State(agent): State<AgentHandle>) -> Result<impl IntoResponse, ApiError> {
    let stats = agent.stats().await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        crate::metrics::render(&stats),
    ))
}

async fn config(State(agent): State<AgentHandle>) -> ApiResult<gossip_core::Config> {
    Ok(Json(agent.config().await?))
}

async fn leave(State(agent): State<AgentHandle>) -> Result<impl IntoResponse, ApiError> {
    agent.leave().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "leaving": agent.name().to_string() })),
    ))
}

/// This agent's own tags.
async fn tags(
    State(agent): State<AgentHandle>,
) -> ApiResult<std::collections::BTreeMap<String, String>> {
    let members = agent.members().await?;
    Ok(Json(
        members
            .into_iter()
            .next()
            .map(|me| me.tags)
            .unwrap_or_default(),
    ))
}

/// Replaces this agent's tags with the JSON object in the body.
async fn set_tags(
    State(agent): State<AgentHandle>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<std::collections::BTreeMap<String, String>> {
    let body = body_of(body)?;
    let pairs: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("tags are a JSON object of strings, e.g. {{\"role\": \"web\"}}: {e}"),
            )
        })?;
    let tags = gossip_core::Tags::new(pairs.clone())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    agent.set_tags(tags).await?;
    Ok(Json(pairs))
}

/// Changes some tags, keeping the others: a JSON merge patch (RFC 7396), `{"role":
/// "db", "dc": null}` sets `role` and deletes `dc`. Applied by the agent in one step,
/// so that clients changing different tags at once do not undo each other, as a read
/// and a whole `PUT` would.
async fn patch_tags(
    State(agent): State<AgentHandle>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<std::collections::BTreeMap<String, String>> {
    let body = body_of(body)?;
    let patch: crate::agent::TagPatch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "a tag patch is a JSON object of strings, and null for a tag to delete, e.g. {{\"role\": \"web\", \"dc\": null}}: {e}"
            ),
        )
    })?;
    let tags = agent.patch_tags(patch).await?;
    Ok(Json(
        tags.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    ))
}

/// Declares a member held dead to have left the cluster, on its behalf.
async fn force_leave(
    State(agent): State<AgentHandle>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<serde_json::Value> {
    let text = text_of(body, "the body is a member's name, as UTF-8 text")?;
    let member = gossip_core::NodeId::new(text.trim())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let news = agent.force_leave(member.clone()).await?;
    Ok(Json(json!({ "left": member.as_str(), "already": !news })))
}

/// Joins more agents while running: 200 with what answered once one has, 504 when
/// none did.
async fn join(
    State(agent): State<AgentHandle>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<crate::view::JoinInfo> {
    let body = body_of(body)?;
    let bad = |why: String| ApiError::new(StatusCode::BAD_REQUEST, why);
    let given: Vec<String> = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "a join names its addresses as a JSON array of strings, e.g. [\"10.0.0.7:7946\"]: {e}"
        ))
    })?;
    if given.is_empty() {
        return Err(bad("a join needs at least one address".into()));
    }
    if given.len() > crate::join::MOST_ADDRESSES {
        return Err(bad(format!(
            "a join names at most {} addresses, not {}",
            crate::join::MOST_ADDRESSES,
            given.len()
        )));
    }
    let seeds = given
        .iter()
        .map(|text| text.parse::<Seed>())
        .collect::<Result<Vec<Seed>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    // Only addresses the agent's socket can send to: `localhost` may give [::1] too.
    let local = agent.local_addr();
    let ipv4 = local.is_ipv4();
    let (mut addrs, mut unresolved) = (Vec::new(), Vec::new());
    let mut other_family_only = Vec::new();
    for (seed, found) in seeds.iter().zip(resolve_each(&seeds).await) {
        let before = addrs.len();
        let any = !found.is_empty();
        addrs.extend(found.into_iter().filter(|addr| can_send(local, *addr)));
        if addrs.len() == before {
            unresolved.push(seed.to_string());
            if any {
                other_family_only.push(seed.to_string());
            }
        }
    }
    if addrs.is_empty() {
        let family = if ipv4 { "IPv4" } else { "IPv6" };
        let none: Vec<&str> = unresolved
            .iter()
            .filter(|seed| !other_family_only.contains(seed))
            .map(String::as_str)
            .collect();
        let mut said = Vec::new();
        if !none.is_empty() {
            said.push(format!(
                "{} resolve to nothing (the agent logs why)",
                none.join(", ")
            ));
        }
        if !other_family_only.is_empty() {
            said.push(format!(
                "{} resolve to no {family} address, which this agent's socket needs",
                other_family_only.join(", ")
            ));
        }
        let message = format!("no address given can be joined: {}", said.join("; "));
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    let mut report = crate::join::join(&agent, addrs).await?;
    report.unresolved = unresolved;
    if report.contacted.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to join: every address given is this agent's own",
        ));
    }
    if report.answered.is_empty() {
        let addrs: Vec<String> = report.unanswered.iter().map(ToString::to_string).collect();
        return Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "no answer from {} after {} tries {} s apart: check that an agent runs there, \
                 and that its --keyring and --cluster-name match this agent's",
                addrs.join(", "),
                crate::join::ATTEMPTS,
                crate::join::ATTEMPT_WAIT.as_secs()
            ),
        ));
    }
    Ok(Json(report))
}

async fn keyring(State(agent): State<AgentHandle>) -> ApiResult<crate::view::KeysInfo> {
    Ok(Json(agent.keyring().await?))
}

async fn change_key(
    State(agent): State<AgentHandle>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<crate::view::KeysInfo> {
    let change = match key_of(path)?.as_str() {
        "install" => KeyChange::Install,
        "use" => KeyChange::Use,
        "remove" => KeyChange::Remove,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no key change {other:?}: install, use or remove"),
            ));
        }
    };
    let text = text_of(body, "a key is base64 text")?;
    let key = Key::from_base64(&text).map_err(AgentError::from)?;
    Ok(Json(agent.change_key(change, key).await?))
}

/// The events the agent reported lately (the last [`crate::agent::RECENT_EVENTS`]),
/// oldest first, each with its time: what happened before a listener came.
async fn recent_events(
    State(agent): State<AgentHandle>,
) -> Result<Json<Vec<crate::view::RecentEvent>>, ApiError> {
    Ok(Json(agent.recent_events().await?))
}

/// `GET /api/events`'s query: `recent` (or `recent=true`, `1`, `yes`) starts the stream
/// with the events kept; `recent=false` (`0`, `no`) or none, with the next one.
fn wants_history(query: Option<&str>) -> Result<bool, ApiError> {
    let mut recent = false;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        recent = match (name, value) {
            ("recent", "" | "true" | "1" | "yes") => true,
            ("recent", "false" | "0" | "no") => false,
            ("recent", _) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("recent={value}: recent takes true or false"),
                ));
            }
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("no parameter {name:?}: the event stream takes recent=true"),
                ));
            }
        };
    }
    Ok(recent)
}

/// Server-sent events: each node event as `event: <kind>` with the event as JSON and
/// its id (`LIFE-SEQ`: the agent's life, the event's number in it), and `event:
/// lagged` with how many this listener missed when it fell behind. With `?recent=true`
/// the stream starts with `event: history`, the events kept (oldest first, each with
/// its time). A listener that sends `Last-Event-ID` (a browser reconnecting does) gets
/// as `history` the kept events after that one instead (all kept ones if the id is of
/// an earlier life), after `lagged` if some are no longer kept, so it misses nothing
/// the agent still has. The history's id is the last event's before the live ones.
async fn events(
    State(agent): State<AgentHandle>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let recent = wants_history(query.as_deref())?;
    let resumed = headers
        .get("last-event-id")
        .and_then(|id| id.to_str().ok()?.parse::<EventId>().ok());
    let from = match (resumed, recent) {
        (Some(id), _) => FollowFrom::After(id),
        (None, true) => FollowFrom::Kept,
        (None, false) => FollowFrom::Now,
    };
    let feed = agent.follow(from).await?;
    let life = feed.life;
    let id_of = move |seq| EventId { life, seq }.to_string();
    let missed = (feed.missed > 0).then(|| lagged(feed.missed));
    let history = (from != FollowFrom::Now).then(|| {
        let event = SseEvent::default()
            .event("history")
            .json_data(&feed.history)
            .unwrap_or_else(|_| SseEvent::default().event("history").data("[]"));
        // Where to resume from, even when nothing is new (or the listener's id was of
        // an earlier life).
        match feed.last_seq {
            0 => event,
            seq => event.id(id_of(seq)),
        }
    });
    let live = BroadcastStream::new(feed.live).map(move |item| match item {
        Ok(recorded) => SseEvent::default()
            .event(&recorded.kind)
            .id(id_of(recorded.seq))
            .json_data(&recorded.event)
            .unwrap_or_else(|_| SseEvent::default().event(&recorded.kind)),
        Err(BroadcastStreamRecvError::Lagged(missed)) => lagged(missed),
    });
    let stream = tokio_stream::iter(missed.into_iter().chain(history))
        .chain(live)
        .map(Ok);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Server-sent events: each datagram the agent sends or receives from now on, as
/// `event: sent` or `event: received` with its peer, kind, news and size as JSON, and
/// `event: lagged` when this listener fell behind. The page draws them flying. The
/// stream ends when the agent stops.
async fn datagrams(
    State(agent): State<AgentHandle>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let stream = BroadcastStream::new(agent.watch_datagrams().await?).map(|item| {
        Ok(match item {
            Ok((direction, datagram)) => SseEvent::default()
                .event(direction.as_str())
                .json_data(&datagram)
                .unwrap_or_else(|_| SseEvent::default().event(direction.as_str())),
            Err(BroadcastStreamRecvError::Lagged(missed)) => lagged(missed),
        })
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The stream's word that this listener missed `count` events.
fn lagged(count: u64) -> SseEvent {
    SseEvent::default().event("lagged").data(count.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits the tests give [`serve_router`]: short, so that they run quickly.
    const TEST_TIME_LIMITS: TimeLimits = TimeLimits {
        head: Duration::from_millis(200),
        write: Duration::from_millis(200),
    };

    /// Serves `app` on a loopback port with [`TEST_TIME_LIMITS`], for the life of the
    /// test's runtime.
    async fn serve_for_test(app: Router) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_router(
            listener,
            app,
            TEST_TIME_LIMITS,
            std::future::pending(),
        ));
        addr
    }

    /// Reads until the server closes the connection, or gives up after `patience`:
    /// what was read, and whether the connection was closed.
    async fn read_until_closed(
        stream: &mut tokio::net::TcpStream,
        patience: Duration,
    ) -> (String, bool) {
        use tokio::io::AsyncReadExt;
        let mut read = Vec::new();
        let closed = tokio::time::timeout(patience, async {
            let mut buf = [0; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await
        .is_ok();
        (String::from_utf8_lossy(&read).into_owned(), closed)
    }

    /// A client that opens a connection and never finishes a request's head (the
    /// slow-loris attack) is cut off once the limit has passed.
    #[tokio::test]
    async fn a_connection_that_never_finishes_its_head_is_closed() {
        use tokio::io::AsyncWriteExt;
        let addr = serve_for_test(Router::new().route("/", get(|| async { "ok" }))).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed, "the connection was kept past five seconds");
        assert!(!answer.contains("200 OK"), "{answer}");
    }

    /// A kept-alive connection is answered, then closed once it has sat idle for the
    /// limit.
    #[tokio::test]
    async fn an_idle_kept_alive_connection_is_answered_then_closed() {
        use tokio::io::AsyncWriteExt;
        let addr = serve_for_test(Router::new().route("/", get(|| async { "ok" }))).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed, "the idle connection was kept past five seconds");
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
    }

    /// The limit is on what the client sends, not on the answer: an event stream
    /// runs on well past it.
    #[tokio::test]
    async fn an_event_stream_outlives_the_head_time_limit() {
        use tokio::io::AsyncWriteExt;
        let ticks = || async {
            let every = tokio::time::interval(Duration::from_millis(50));
            let stream = tokio_stream::wrappers::IntervalStream::new(every)
                .map(|_| Ok::<_, Infallible>(SseEvent::default().data("tick")));
            Sse::new(stream)
        };
        let addr = serve_for_test(Router::new().route("/events", get(ticks))).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let watched = TEST_TIME_LIMITS.head * 4;
        let (answer, closed) = read_until_closed(&mut stream, watched).await;
        assert!(
            !closed,
            "the stream was closed within {watched:?}: {answer}"
        );
        let ticks = answer.matches("data: tick").count();
        assert!(ticks >= 10, "{ticks} events in {watched:?}: {answer}");
    }

    /// A client that stops reading an answer that never ends is let go once a write
    /// has waited the limit; one that keeps reading is not (the stream test above).
    #[tokio::test]
    async fn a_client_that_stops_reading_is_let_go() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let endless = || async {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            axum::body::Body::from_stream(futures_util::stream::repeat(Ok::<_, Infallible>(chunk)))
        };
        let addr = serve_for_test(Router::new().route("/endless", get(endless))).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        // Not reading, until the buffers between are full and the server's write has
        // waited well past the limit; then what they hold drains, and the end comes.
        tokio::time::sleep(TEST_TIME_LIMITS.write * 5).await;
        let drained = tokio::time::timeout(Duration::from_secs(5), async {
            let mut buf = vec![0; 1 << 16];
            let mut total = 0usize;
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break total,
                    Ok(n) => total += n,
                }
            }
        })
        .await;
        assert!(
            drained.is_ok(),
            "the server still wrote to a client that had stopped reading"
        );
    }
}
