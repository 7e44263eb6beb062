//! The HTTP API of one agent on 127.0.0.1, request by request: answers, the event
//! stream, and clear JSON errors for everything a client can get wrong.

use std::time::Duration;

use gossip_agent::agent::{Agent, AgentOptions};
use gossip_agent::http;
use gossip_core::{Config, NodeId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

async fn start() -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_with_page(None).await
}

/// An agent whose HTTP address also serves the web page from `ui_dir`.
async fn start_with_page(
    ui_dir: Option<std::path::PathBuf>,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (http, _, stop, _) = start_named("solo", ui_dir).await;
    (http, stop)
}

type Started = (
    std::net::SocketAddr,
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// An agent named `name`, alone in its cluster: its HTTP address, its UDP address,
/// what stops it (gracefully), and its task (aborted, it crashes).
async fn start_named(name: &str, ui_dir: Option<std::path::PathBuf>) -> Started {
    start_advertising(name, ui_dir, None).await
}

/// [`start_named`], telling the others `advertise` rather than its socket's address.
async fn start_advertising(
    name: &str,
    ui_dir: Option<std::path::PathBuf>,
    advertise: Option<std::net::SocketAddr>,
) -> Started {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let options = AgentOptions {
        name: NodeId::new(name).unwrap(),
        join: vec![],
        advertise,
        cluster_name: None,
        keyring: None,
        tags: gossip_core::Tags::none(),
        config: Config::demo(),
        rng_seed: 5,
    };
    let (agent, handle) = Agent::new(socket, options).unwrap();
    let udp = handle.local_addr();
    let listener = http::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The server stops with the test's runtime.
    tokio::spawn(http::serve(
        listener,
        handle,
        ui_dir,
        http::AllowedHosts::new(vec!["agent.example".to_owned()]),
        std::future::pending(),
    ));
    let running = tokio::spawn(agent.run(async {
        let _ = stopped.await;
    }));
    (addr, udp, stop, running)
}

/// One request on a fresh connection; the status and the body.
async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, String) {
    request_with(addr, method, path, &[("Host", "127.0.0.1")], body).await
}

/// [`request`] with the given headers.
async fn request_with(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn the_api_answers_and_refuses_clearly() {
    let (addr, _stop) = start().await;
    assert_eq!(
        request(addr, "GET", "/healthz", b"").await,
        (200, "ok".into())
    );

    let (status, body) = request(addr, "PUT", "/api/kv/colour", b"blue").await;
    assert_eq!(status, 200, "{body}");
    let written: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(written["value"], "blue");
    assert_eq!(
        written["versions"][0]["clock"].as_object().unwrap().len(),
        1
    );

    let (status, body) = request(addr, "GET", "/api/kv/colour", b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"value\":\"blue\""), "{body}");
    let (status, body) = request(addr, "GET", "/api/members", b"").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("\"name\":\"solo\"") && body.contains("\"status\":\"alive\""),
        "{body}"
    );
    let (status, body) = request(addr, "GET", "/api/config", b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"probe_interval\":\"1s\""), "{body}");
    let (status, body) = request(addr, "GET", "/api/stats", b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"keys\":1"), "{body}");
    assert!(
        body.contains("\"interned\":0"),
        "alone, nobody numbered: {body}"
    );

    let error = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (status, body) = request(addr, "GET", "/api/kv/none", b"").await;
    assert_eq!(
        (status, error(&body).contains("no key")),
        (404, true),
        "{body}"
    );
    let (status, body) = request(addr, "DELETE", "/api/kv/none", b"").await;
    assert_eq!(status, 404, "{body}");
    for (query, listed) in [
        ("", 1),
        ("?status=alive", 1),
        ("?status=dead", 0),
        ("?tag=role%3Dnone", 0),
    ] {
        let (status, body) = request(addr, "GET", &format!("/api/members{query}"), b"").await;
        assert_eq!(status, 200, "{query}: {body}");
        let members: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(members.len(), listed, "{query}: {body}");
    }
    for (query, says) in [
        ("?status=gone", "alive, suspect, dead or left"),
        ("?tag=role", "KEY=REGEX"),
        ("?state=dead", "takes status, name and tag"),
    ] {
        let (status, body) = request(addr, "GET", &format!("/api/members{query}"), b"").await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(error(&body).contains(says), "{query}: {body}");
    }
    let long = format!("/api/kv/{}", "k".repeat(5000));
    let (status, body) = request(addr, "GET", &long, b"").await;
    assert_eq!(
        (status, error(&body)),
        (413, "key is 5000 bytes, over the limit of 128".into()),
        "as a write of it is, and not echoed"
    );
    let (status, body) = request(addr, "GET", "/api/nope", b"").await;
    assert_eq!((status, error(&body)), (404, "no such route".into()));
    // A parameter on a route that reads none is refused, and nothing is written.
    let (status, body) = request(addr, "PUT", "/api/kv/q?ttl=60", b"v").await;
    assert_eq!(
        (status, error(&body)),
        (400, "/api/kv/q takes no parameters: ?ttl=60".into())
    );
    assert_eq!(request(addr, "GET", "/api/kv/q", b"").await.0, 404);
    let (status, body) = request(addr, "PUT", "/api/kv/bad", &[0xff, 0xfe]).await;
    assert_eq!(status, 400, "{body}");
    assert!(error(&body).contains("UTF-8"));
    let (status, body) = request(addr, "PUT", "/api/kv/big", &vec![b'x'; 600]).await;
    assert_eq!(status, 413, "{body}");
    assert!(error(&body).contains("over the limit"));
    // Just over the limit: small enough that the answer is read before the connection
    // closes on the unread rest.
    let (status, body) = request(addr, "PUT", "/api/kv/huge", &vec![b'x'; 70_000]).await;
    assert_eq!(
        status, 413,
        "a body over 64 KiB is refused before it is read"
    );
    assert_eq!(
        error(&body),
        "the body is over the 65536 bytes the API takes"
    );
    // Declared, but not sent: the answer comes without waiting for it.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"PUT /api/kv/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("over the 65536 bytes"),
        "{answer}"
    );
    // Sent in chunks, with no length declared: cut off at the limit, the same answer.
    let mut chunked = b"PUT /api/kv/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    chunked.extend_from_slice(format!("{:x}\r\n", 70_000).as_bytes());
    chunked.extend(std::iter::repeat_n(b'x', 70_000));
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    // Read while writing: the answer comes before the body's end, and the connection
    // may be reset over the unread rest.
    let (mut reading, mut writing) = TcpStream::connect(addr).await.unwrap().into_split();
    tokio::spawn(async move {
        let _ = writing.write_all(&chunked).await;
    });
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), reading.read(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("over the 65536 bytes"),
        "{answer}"
    );
    let (status, body) = request(addr, "POST", "/api/members", b"").await;
    assert_eq!(
        (status, error(&body)),
        (405, "POST is not one of this route's methods".into())
    );
    let (status, body) = request(addr, "GET", "/api/kv/%FF", b"").await;
    assert_eq!(status, 400, "{body}");
    assert!(!error(&body).is_empty(), "as JSON: {body}");
    let (status, body) = request(addr, "GET", "/api/kv/colour", b"").await;
    assert_eq!(status, 200, "nothing was lost: {body}");

    let (status, body) = request(addr, "DELETE", "/api/kv/colour", b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"value\":null"), "{body}");
}

#[tokio::test]
async fn events_stream_as_server_sent_events() {
    let (addr, _stop) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The answer's head comes once the stream is subscribed.
    let mut seen = read_until(&mut stream, |s| s.contains("text/event-stream")).await;
    let (status, _) = request(addr, "PUT", "/api/kv/k", b"v").await;
    assert_eq!(status, 200);
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        while !seen.contains("event: key_changed") {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await;
    assert!(found.is_ok(), "{seen}");
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(seen.contains("\"key\":\"k\""), "{seen}");

    // A listener that comes later reads what it missed, oldest first, with the times.
    let (status, body) = request(addr, "GET", "/api/events/recent", b"").await;
    assert_eq!(status, 200, "{body}");
    let body = &body[body.find("\r\n\r\n").map_or(0, |at| at + 4)..];
    let recent: Vec<serde_json::Value> = serde_json::from_str(body).expect(body);
    let kinds: Vec<&str> = recent.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"joined_cluster"), "{body}");
    assert_eq!(kinds.last(), Some(&"key_changed"), "{body}");
    assert!(
        recent
            .iter()
            .all(|e| e["at_unix_ms"].as_u64() > Some(1_700_000_000_000)),
        "{body}"
    );
}

/// Opens `path` as an event stream, sending `headers`.
async fn open_stream(addr: std::net::SocketAddr, path: &str, headers: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// What `stream` sends until `done` holds of it (or 5 s pass, or it ends).
async fn read_until(stream: &mut TcpStream, done: impl Fn(&str) -> bool) -> String {
    let mut seen = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        while !done(&seen) {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    })
    .await;
    seen
}

/// The value of each `field: value` line of a server-sent event stream.
fn fields<'a>(stream: &'a str, field: &str) -> Vec<&'a str> {
    let prefix = format!("{field}: ");
    stream
        .lines()
        .filter_map(|line| line.strip_prefix(prefix.as_str()))
        .collect()
}

#[tokio::test]
async fn a_listener_that_comes_back_resumes_after_the_last_event_it_read() {
    let (addr, _stop) = start().await;
    assert_eq!(request(addr, "PUT", "/api/kv/first", b"1").await.0, 200);

    // `?recent=true`: the events from before come first, as one history with its id.
    let mut stream = open_stream(addr, "/api/events?recent=true", "").await;
    let seen = read_until(&mut stream, |s| s.contains("\"first\"")).await;
    assert_eq!(fields(&seen, "event"), ["history"], "{seen}");
    let history: Vec<serde_json::Value> = serde_json::from_str(fields(&seen, "data")[0]).unwrap();
    let kinds: Vec<&str> = history.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"joined_cluster"), "{seen}");
    assert_eq!(kinds.last(), Some(&"key_changed"), "{seen}");
    let last_read = fields(&seen, "id")[0].to_owned();
    assert!(
        last_read.ends_with(&format!("-{}", history.len())),
        "the id numbers the last event of the history: {seen}"
    );
    drop(stream);

    // Gone while two keys were written, it comes back with the last id it read.
    for key in ["second", "third"] {
        assert_eq!(
            request(addr, "PUT", &format!("/api/kv/{key}"), b"2")
                .await
                .0,
            200
        );
    }
    let header = format!("Last-Event-ID: {last_read}\r\n");
    let mut stream = open_stream(addr, "/api/events?recent=true", &header).await;
    let seen = read_until(&mut stream, |s| s.contains("\"third\"")).await;
    let data = fields(&seen, "data");
    let resumed: Vec<serde_json::Value> = serde_json::from_str(data[0]).unwrap();
    let keys: Vec<&str> = resumed
        .iter()
        .filter_map(|e| e["event"]["key"].as_str())
        .collect();
    assert_eq!(keys, ["second", "third"], "only what it missed: {seen}");

    // Then each new event live, numbered on from there.
    assert_eq!(request(addr, "PUT", "/api/kv/fourth", b"4").await.0, 200);
    let seen = read_until(&mut stream, |s| s.contains("\"fourth\"")).await;
    let ids = fields(&seen, "id");
    let next = history.len() + resumed.len() + 1;
    assert_eq!(
        ids.last().and_then(|id| id.rsplit_once('-')),
        Some((
            last_read.split_once('-').unwrap().0,
            next.to_string().as_str()
        )),
        "{seen}"
    );

    // An id from an earlier life of the agent is answered with all it keeps, even
    // without `?recent`.
    let mut stream = open_stream(addr, "/api/events", "Last-Event-ID: 1-1\r\n").await;
    let seen = read_until(&mut stream, |s| s.contains("\"fourth\"")).await;
    assert!(seen.contains("joined_cluster"), "{seen}");

    // One that has seen everything gets an empty history, with the id to resume from.
    let up_to_date = format!("Last-Event-ID: {}\r\n", ids.last().unwrap());
    let mut stream = open_stream(addr, "/api/events", &up_to_date).await;
    let seen = read_until(&mut stream, |s| s.contains("data: []")).await;
    assert_eq!(fields(&seen, "event"), ["history"], "{seen}");
    assert_eq!(fields(&seen, "id"), [*ids.last().unwrap()], "{seen}");

    for (query, status) in [
        ("recent", 200),
        ("recent=1", 200),
        ("recent=false", 200),
        ("recent=maybe", 400),
        ("recnt=true", 400),
    ] {
        let path = format!("/api/events?{query}");
        assert_eq!(status_of(addr, "GET", &path).await, status, "{query}");
    }
    let (status, body) = request(addr, "GET", "/api/events?recent=maybe", b"").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("true or false"), "{body}");
}

/// A second agent on 127.0.0.1, without HTTP, joining the one whose UDP address is
/// `seed`; it stops with the test's runtime.
async fn start_peer(seed: std::net::SocketAddr) {
    let options = AgentOptions {
        name: NodeId::new("peer").unwrap(),
        join: vec![gossip_agent::agent::Seed::Addr(seed)],
        advertise: None,
        cluster_name: None,
        keyring: None,
        tags: gossip_core::Tags::none(),
        config: Config::demo(),
        rng_seed: 6,
    };
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (agent, _) = Agent::new(socket, options).unwrap();
    tokio::spawn(agent.run(std::future::pending()));
}

#[tokio::test]
async fn datagrams_stream_as_server_sent_events() {
    let (addr, stop) = start().await;
    let (status, body) = request(addr, "GET", "/api/members", b"").await;
    assert_eq!(status, 200, "{body}");
    let body = &body[body.find("\r\n\r\n").map_or(0, |at| at + 4)..];
    let members: serde_json::Value = serde_json::from_str(body).expect(body);
    let udp: std::net::SocketAddr = members[0]["addr"].as_str().unwrap().parse().unwrap();

    let mut stream = open_stream(addr, "/api/datagrams", "").await;
    start_peer(udp).await;
    let seen = read_until(&mut stream, |s| {
        let events = fields(s, "event");
        events.contains(&"sent") && events.contains(&"received")
    })
    .await;
    // Alone, the agent is silent until the peer's join reaches it: the first datagram
    // is one received, the peer's full state, and it answers with its own.
    let events = fields(&seen, "event");
    let data = fields(&seen, "data");
    assert_eq!(events.first(), Some(&"received"), "{seen}");
    assert!(data[0].contains("\"kind\":\"sync\""), "{seen}");
    assert!(events.contains(&"sent"), "{seen}");
    for data in data {
        let datagram: serde_json::Value = serde_json::from_str(data).expect(data);
        let peer = datagram["peer"].as_str().unwrap_or_default();
        assert!(
            peer.starts_with("127.0.0.1:") && peer != udp.to_string(),
            "{data}"
        );
        assert!(datagram["bytes"].as_u64() > Some(0), "{data}");
        // The sender's name on one received, the member's at that address on one sent
        // (the agent holds the peer once its full state has come).
        assert_eq!(datagram["peer_name"], "peer", "{data}");
        let kind = datagram["kind"].as_str().unwrap_or_default();
        assert!(
            gossip_core::wire::MessageKind::ALL
                .iter()
                .any(|k| k.as_str() == kind),
            "{data}"
        );
    }

    // The stream ends when the agent stops.
    stop.send(()).unwrap();
    let rest = read_until(&mut stream, |s| s.ends_with("0\r\n\r\n")).await;
    assert!(rest.ends_with("0\r\n\r\n"), "the stream ended: {rest}");
}

/// Every route README.md's API table shows, as `METHOD /path` in backticks.
fn documented_routes() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let mut routes = Vec::new();
    for row in readme.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = row.split(" | ").next().unwrap_or_default();
        for quoted in first_cell.split('`').skip(1).step_by(2) {
            if let Some((method, path)) = quoted.split_once(' ')
                && ["GET", "PUT", "POST", "DELETE"].contains(&method)
            {
                routes.push((method.to_owned(), path.to_owned()));
            }
        }
    }
    routes
}

/// The status line's code of `method path`, and whether the agent said it has no such
/// route, read without waiting for the body (a stream's never ends).
async fn answer_of(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let seen = read_until(&mut stream, |s| {
        s.contains("\r\n\r\n") && (!s.starts_with("HTTP/1.1 404") || s.contains('}'))
    })
    .await;
    let status = seen.split(' ').nth(1).and_then(|code| code.parse().ok());
    (status.unwrap_or(0), seen.contains("no such route"))
}

/// The status line's code of `method path`.
async fn status_of(addr: std::net::SocketAddr, method: &str, path: &str) -> u16 {
    answer_of(addr, method, path).await.0
}

/// The README's API table stays true: each route it shows is one the agent answers
/// (with whatever an empty request deserves, but never "no such route").
#[tokio::test]
async fn every_route_the_readme_shows_is_served() {
    let (addr, _stop) = start().await;
    assert_eq!(request(addr, "PUT", "/api/kv/colour", b"blue").await.0, 200);
    let routes = documented_routes();
    assert!(routes.len() >= 18, "{routes:?}");
    // The page (`GET /`) is served with a build only: crate::ui's tests cover it. The
    // leave goes last, as the agent stops after it.
    let (leave, others): (Vec<_>, Vec<_>) = routes
        .iter()
        .filter(|(_, path)| path != "/")
        .partition(|(_, path)| path == "/api/leave");
    for (method, path) in others.into_iter().chain(leave) {
        let path = path.replace("{key}", "colour");
        let (status, no_such_route) = answer_of(addr, method, &path).await;
        assert!(
            ![0, 405].contains(&status) && !no_such_route,
            "{method} {path} answered {status}"
        );
    }
}

/// `/metrics` is Prometheus text that `promtool check metrics` accepts (Debian's
/// `prometheus` package; the test set-up installs it), with the members by state and
/// the traffic by kind.
#[tokio::test]
async fn metrics_are_prometheus_text() {
    let (addr, _stop) = start().await;
    let (status, _) = request(addr, "PUT", "/api/kv/k", b"v").await;
    assert_eq!(status, 200);
    let (status, body) = request(addr, "GET", "/metrics", b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("gossip_members{state=\"alive\"} 1\n"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE gossip_probes_total counter\n"),
        "{body}"
    );
    assert!(body.contains("gossip_keys 1\n"), "{body}");
    assert!(
        body.contains("# TYPE gossip_keys_aside gauge\ngossip_keys_aside 0\n"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE gossip_rumors_hot gauge\ngossip_rumors_hot 1\n"),
        "the write is a rumor still hot: nobody else heard it yet: {body}"
    );
    assert!(
        body.contains("# TYPE gossip_interned gauge\ngossip_interned 0\n"),
        "{body}"
    );
    for line in [
        "# TYPE gossip_probe_rtt_seconds histogram\n",
        "gossip_probe_rtt_seconds_bucket{le=\"0.001\"} 0\n",
        "gossip_probe_rtt_seconds_bucket{le=\"+Inf\"} 0\n",
        "gossip_probe_rtt_seconds_count 0\n",
        "gossip_datagrams_refused_total{reason=\"replayed\"} 0\n",
        "gossip_conflicts_total 0\n",
        "# TYPE gossip_user_events_expired_total counter\n",
        "gossip_user_events_sent_total 0\n",
        "gossip_user_events_heard_total 0\n",
        "gossip_user_events_expired_total 0\n",
        "gossip_encrypted 0\n",
        "# TYPE gossip_event_handler_runs_total counter\n",
        "gossip_event_handler_runs_total{outcome=\"killed\"} 0\n",
        "gossip_event_handler_missed_events_total 0\n",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
    let promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut promtool = promtool
        .expect("promtool (Debian package prometheus) is installed by scripts/setup.sh --tests");
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// A directory of its own under the system's temporary directory.
fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gossip-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `/` serves the page's build marked for live mode, its other files as they are, and
/// the API keeps its JSON errors for every path that is no file of the build.
#[tokio::test]
async fn the_page_is_served_in_live_mode_beside_the_api() {
    let dir = scratch_dir("ui");
    std::fs::write(
        dir.join("index.html"),
        "<html><head><title>lab</title></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dir.join("app.js"), "console.log(1)").unwrap();
    let (addr, _stop) = start_with_page(Some(dir.clone())).await;

    let (status, body) = request(addr, "GET", "/", b"").await;
    assert_eq!(status, 200);
    let tag = r#"<meta name="gossip-agent" content="solo" />"#;
    assert!(
        body.find(tag).unwrap() < body.find("</head>").unwrap(),
        "{body}"
    );
    assert_eq!(request(addr, "GET", "/index.html", b"").await.1, body);
    assert_eq!(
        request(addr, "GET", "/app.js", b"").await,
        (200, "console.log(1)".to_owned())
    );
    // A file beside the build is out of reach, however the path is spelt.
    let secret = dir.with_file_name(format!("gossip-ui-secret-{}", std::process::id()));
    std::fs::write(&secret, "secret").unwrap();
    let beside = secret.file_name().unwrap().to_str().unwrap();
    let traversals = [
        format!("/../{beside}"),
        format!("/%2e%2e/{beside}"),
        format!("/%2E%2E%2F{beside}"),
        format!("/..%2f{beside}"),
    ];
    for path in &traversals {
        let (status, body) = request(addr, "GET", path, b"").await;
        assert!(!body.contains("secret"), "{path}: {status} {body}");
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
    let _ = std::fs::remove_file(&secret);
    for (method, path) in [("GET", "/api/nope"), ("POST", "/nope")] {
        let (status, body) = request(addr, method, path, b"").await;
        assert_eq!(status, 404, "{method} {path}");
        assert!(body.contains("\"error\""), "{method} {path}: {body}");
    }
    let (status, body) = request(addr, "GET", "/api/members", b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"solo\""), "{body}");

    // Without a build, `/` says how to make one, and the API still answers.
    let empty = scratch_dir("ui-empty");
    let (addr, _stop) = start_with_page(Some(empty.clone())).await;
    let (status, body) = request(addr, "GET", "/", b"").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("has not been built") && body.contains("trunk build"),
        "{body}"
    );
    assert!(body.contains(&empty.display().to_string()), "{body}");
    assert_eq!(request(addr, "GET", "/api/members", b"").await.0, 200);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(empty);
}

/// The page's files go gzip-compressed to a client that takes gzip, and as they are
/// to one that does not; the event stream is never held back to be compressed.
#[tokio::test]
async fn the_page_is_compressed_for_a_browser_that_takes_it() {
    let dir = scratch_dir("ui-gzip");
    std::fs::write(dir.join("index.html"), "<html><head></head></html>").unwrap();
    // Like a wasm build: far from random, far from one byte repeated.
    let wasm: Vec<u8> = (0..200_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
        .collect();
    std::fs::write(dir.join("lab_bg.wasm"), &wasm).unwrap();
    let (addr, _stop) = start_with_page(Some(dir.clone())).await;
    let fetch = move |path: &'static str, gzip: bool| {
        let mut call = ureq::get(format!("http://{addr}{path}"));
        if gzip {
            call = call.header("Accept-Encoding", "gzip");
        }
        let mut answer = call.call().unwrap();
        let encoding = answer
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().unwrap().to_owned());
        (encoding, answer.body_mut().read_to_vec().unwrap())
    };
    let (encoding, sent) = tokio::task::spawn_blocking(move || fetch("/lab_bg.wasm", true))
        .await
        .unwrap();
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(sent.len() < wasm.len() / 3, "{} bytes sent", sent.len());
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&sent[..]), &mut unpacked)
        .unwrap();
    assert!(unpacked == wasm, "the same bytes once unpacked");
    let (encoding, plain) = tokio::task::spawn_blocking(move || fetch("/lab_bg.wasm", false))
        .await
        .unwrap();
    assert_eq!((encoding, plain.len()), (None, wasm.len()));
    let (encoding, _) = tokio::task::spawn_blocking(move || fetch("/", true))
        .await
        .unwrap();
    assert_eq!(
        encoding.as_deref(),
        Some("gzip"),
        "the live page's index too"
    );
    let stream_encoding = tokio::task::spawn_blocking(move || {
        let answer = ureq::get(format!("http://{addr}/api/events"))
            .header("Accept-Encoding", "gzip")
            .call()
            .unwrap();
        answer.headers().get("content-encoding").cloned()
    })
    .await
    .unwrap();
    assert_eq!(stream_encoding, None, "events go out as they happen");
    let _ = std::fs::remove_dir_all(dir);
}

/// A client that declares a body and stops sending it is answered 408 once the body's
/// time is up (10 s), and its connection closed: it cannot hold the agent's sockets.
/// Nothing is written.
#[tokio::test]
async fn a_body_that_never_arrives_whole_is_given_up_on() {
    let (addr, _stop) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"PUT /api/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("answered and closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("did not arrive whole within 10 s"),
        "{answer}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(request(addr, "GET", "/api/kv/slow", b"").await.0, 404);
}

/// Tags are read and replaced as a JSON object; a body that is not one, or tags out of
/// bounds, are refused and change nothing.
#[tokio::test]
async fn tags_are_replaced_as_a_json_object() {
    let (addr, _stop) = start().await;
    assert_eq!(
        request(addr, "GET", "/api/tags", b"").await,
        (200, "{}".to_owned())
    );
    let (status, body) = request(addr, "PUT", "/api/tags", br#"{"role":"web"}"#).await;
    assert_eq!((status, body.as_str()), (200, r#"{"role":"web"}"#));
    let (status, body) = request(addr, "PUT", "/api/tags", b"role=web").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("JSON object"), "{body}");
    let (status, body) = request(addr, "PUT", "/api/tags", br#"{"":"x"}"#).await;
    assert_eq!(status, 422, "{body}");
    let (_, members) = request(addr, "GET", "/api/members", b"").await;
    assert!(members.contains(r#""tags":{"role":"web"}"#), "{members}");
    let (_, tagged) = request(addr, "GET", "/api/members?tag=role=web", b"").await;
    assert_eq!(tagged, members, "carries the tag");
    let (_, other) = request(addr, "GET", "/api/members?tag=role=db", b"").await;
    assert_eq!(other, "[]");
    let both = "/api/members?tag=role=web&tag=zone=a";
    assert_eq!(
        request(addr, "GET", both, b"").await.1,
        "[]",
        "every tag given"
    );
    let (_, pattern) = request(addr, "GET", "/api/members?tag=role=w.b|db", b"").await;
    assert_eq!(pattern, members, "a tag's value is a regular expression");
    let (_, spaced) = request(addr, "GET", "/api/members?tag=role=w%65b", b"").await;
    assert_eq!(spaced, members, "percent-escapes are decoded");
    let (status, body) = request(addr, "GET", "/api/members?name=%FF", b"").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("name=%FF: its escapes are not UTF-8 text"),
        "{body}"
    );
    let (_, part) = request(addr, "GET", "/api/members?tag=role=we", b"").await;
    assert_eq!(part, "[]", "matched whole, as Serf does");
    let (status, body) = request(addr, "GET", "/api/members?tag=role=web(", b"").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("tag=role=web(: not a usable regular expression"),
        "{body}"
    );
    let (_, stats) = request(addr, "GET", "/api/stats", b"").await;
    assert!(
        stats.contains(r#""incarnation":1"#),
        "a change raises the incarnation: {stats}"
    );

    // A patch changes the tags it names and keeps the others; null deletes one.
    let (status, body) = request(addr, "PATCH", "/api/tags", br#"{"dc":"east"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"dc":"east","role":"web"}"#)
    );
    let (status, body) = request(addr, "PATCH", "/api/tags", br#"{"role":null}"#).await;
    assert_eq!((status, body.as_str()), (200, r#"{"dc":"east"}"#));
    let (status, body) = request(addr, "PATCH", "/api/tags", br#"{"dc":1}"#).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = request(addr, "PATCH", "/api/tags", br#"{"":"x"}"#).await;
    assert_eq!(status, 422, "{body}");
    // Patches sent at once all stand: none undoes another.
    let patches = (0..8).map(|i| {
        let body = format!(r#"{{"k{i}":"v"}}"#);
        async move { request(addr, "PATCH", "/api/tags", body.as_bytes()).await }
    });
    for (status, body) in futures_util::future::join_all(patches).await {
        assert_eq!(status, 200, "{body}");
    }
    let (_, tags) = request(addr, "GET", "/api/tags", b"").await;
    let tags: std::collections::BTreeMap<String, String> = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags.len(), 9, "dc and the eight: {tags:?}");
}

/// A page from elsewhere cannot make a visitor's browser change the agent; the agent's
/// own page can, and so can programs (no origin). A page whose own name was pointed at
/// the agent (DNS rebinding) is refused even as same-origin, reading as writing: the
/// agent answers only requests addressed to an IP address, localhost or a name given
/// with `--http-host`.
#[tokio::test]
async fn pages_from_other_origins_may_not_change_the_agent() {
    let (addr, _stop) = start().await;
    let host = addr.to_string();
    let own_origin = format!("http://{host}");
    let from = |origin: &'static str| [("Host", "127.0.0.1"), ("Origin", origin)];
    let (status, body) =
        request_with(addr, "PUT", "/api/kv/k", &from("http://evil.example"), b"v").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        request(addr, "GET", "/api/kv/k", b"").await.0,
        404,
        "nothing written"
    );
    let (status, _) = request_with(addr, "POST", "/api/leave", &from("null"), b"").await;
    assert_eq!(status, 403);
    let own = [("Host", host.as_str()), ("Origin", own_origin.as_str())];
    let (status, body) = request_with(addr, "PUT", "/api/kv/k", &own, b"v").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) =
        request_with(addr, "GET", "/api/kv/k", &from("http://evil.example"), b"").await;
    assert_eq!(status, 200, "reading is not changing");
    let rebound = [("Host", "evil.example:9001")];
    let (status, body) = request_with(addr, "GET", "/api/keys", &rebound, b"").await;
    assert_eq!(status, 403, "{body}");
    for host in [
        "127.0.0.1:9001",
        "localhost:9001",
        "[::1]:9001",
        "Agent.example:9001",
    ] {
        let (status, _) = request_with(addr, "GET", "/api/keys", &[("Host", host)], b"").await;
        assert_eq!(status, 422, "{host}: no keyring here, but allowed to ask");
    }

    let rebound_page = [
        ("Host", "evil.example:9001"),
        ("Origin", "http://evil.example:9001"),
    ];
    for (method, path, body) in [
        ("POST", "/api/leave", &b""[..]),
        ("PUT", "/api/kv/rebound", b"v"),
        ("POST", "/api/join", br#"["127.0.0.1:9"]"#),
    ] {
        let (status, body) = request_with(addr, method, path, &rebound_page, body).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert!(body.contains("--http-host"), "{body}");
    }
    // A rebound page's reads carry no Origin (same-origin GETs do not), nor
    // Sec-Fetch-* (sent only to trustworthy origins): its Host alone gives it away.
    for path in ["/api/kv/k", "/api/members", "/api/events", "/metrics", "/"] {
        let (status, body) = request_with(addr, "GET", path, &rebound, b"").await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    // A request naming no host at all (HTTP/1.0 allows it) is told what is missing.
    let (status, body) = request_with(addr, "GET", "/api/members", &[], b"").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Host header"), "{body}");
    let named = [("Host", "agent.example:9001")];
    let (status, _) = request_with(addr, "GET", "/api/kv/k", &named, b"").await;
    assert_eq!(status, 200, "a name given with --http-host");
    let (status, _) = request(addr, "GET", "/api/kv/rebound", b"").await;
    assert_eq!(status, 404, "nothing written");
    let (status, body) = request(addr, "GET", "/api/stats", b"").await;
    assert_eq!(status, 200, "still running, not left: {body}");
    assert!(body.contains(r#""status":"joined""#), "{body}");
}

/// Told to join through a seed whose name does not resolve, an agent waits for it
/// instead of starting a cluster of its own.
#[tokio::test]
async fn a_seed_that_does_not_resolve_yet_is_waited_for() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let options = AgentOptions {
        name: NodeId::new("waiting").unwrap(),
        join: vec!["no-such-host.invalid:7946".parse().unwrap()],
        advertise: None,
        config: Config::demo(),
        rng_seed: 6,
        cluster_name: None,
        keyring: None,
        tags: gossip_core::Tags::none(),
    };
    let (agent, handle) = Agent::new(socket, options).unwrap();
    tokio::spawn(agent.run(std::future::pending()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = handle.stats().await.unwrap();
    assert_eq!(stats.status, "idle", "not a cluster of one");
}

/// Two agents started alone become one cluster when one is told to join the other; an
/// address where nobody answers is reported after the tries, and a bad request is
/// refused without contacting anyone.
#[tokio::test]
async fn a_running_agent_joins_another_and_reports_who_answered() {
    let (a, _, _stop_a, _) = start_named("a", None).await;
    let (b, b_udp, _stop_b, _) = start_named("b", None).await;
    let silent_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent = silent_socket.local_addr().unwrap();

    let body =
        format!(r#"["{b_udp}", "{silent}", "{b_udp}", "[::1]:7946", "nohost.invalid:7946"]"#);
    let (status, body) = request(a, "POST", "/api/join", body.as_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let report: gossip_agent::view::JoinInfo = serde_json::from_str(&body).unwrap();
    assert_eq!(report.contacted, vec![b_udp, silent], "repeats left out");
    assert_eq!(report.answered.len(), 1, "{body}");
    assert_eq!(report.answered[0].addr, b_udp);
    assert_eq!(report.answered[0].name.as_str(), "b");
    assert_eq!(report.unanswered, vec![silent]);
    assert_eq!(
        report.unresolved,
        ["[::1]:7946", "nohost.invalid:7946"],
        "an IPv6 address is out of an IPv4 socket's reach"
    );
    let mut asked = 0;
    let mut datagram = [0u8; 2048];
    while silent_socket.try_recv_from(&mut datagram).is_ok() {
        asked += 1;
    }
    assert_eq!(
        asked,
        gossip_agent::join::ATTEMPTS,
        "asked again until the tries ran out"
    );
    for agent in [a, b] {
        let (_, members) = request(agent, "GET", "/api/members", b"").await;
        let members: serde_json::Value = serde_json::from_str(&members).unwrap();
        let alive = members
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["status"] == "alive")
            .count();
        assert_eq!(
            alive, 2,
            "each holds both once the join answered: {members}"
        );
    }

    let (status, body) = request(
        a,
        "POST",
        "/api/join",
        format!(r#"["{silent}"]"#).as_bytes(),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(body.contains(&format!("no answer from {silent}")), "{body}");
    let too_many = format!("[{}]", vec![r#""10.0.0.1:1""#; 65].join(","));
    for (request_body, expected) in [
        (r#"{"addr": "x"}"#, "JSON array of strings"),
        ("[]", "at least one address"),
        (r#"["no-port"]"#, "has no port"),
        (too_many.as_str(), "at most 64 addresses"),
    ] {
        let (status, body) = request(a, "POST", "/api/join", request_body.as_bytes()).await;
        assert_eq!(status, 400, "{request_body}: {body}");
        assert!(body.contains(expected), "{request_body}: {body}");
    }
    let (status, body) =
        request(b, "POST", "/api/join", format!(r#"["{b_udp}"]"#).as_bytes()).await;
    assert_eq!(status, 422, "{body}");
    // Names that resolve to nothing, and one only to the other family, are told apart.
    let (status, body) = request(
        a,
        "POST",
        "/api/join",
        br#"["nohost.invalid:1", "[::1]:7946"]"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("nohost.invalid:1 resolve to nothing")
            && body.contains("[::1]:7946 resolve to no IPv4 address"),
        "{body}"
    );

    // Behind --advertise, the socket's own address is the agent's too.
    let elsewhere = "127.0.0.1:1".parse().unwrap();
    let (me, me_udp, _stop_me, _) = start_advertising("me", None, Some(elsewhere)).await;
    let (status, body) = request(
        me,
        "POST",
        "/api/join",
        format!(r#"["{me_udp}"]"#).as_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("nothing to join"), "{body}");
}

/// A member that crashed is declared left on its behalf once it is held dead; one
/// still alive, one unknown and a bad name are refused, with nothing changed.
#[tokio::test]
async fn a_dead_member_is_made_to_leave() {
    let (a, _, _stop_a, _) = start_named("a", None).await;
    let (_, b_udp, _stop_b, b_running) = start_named("b", None).await;
    let joined = request(a, "POST", "/api/join", format!(r#"["{b_udp}"]"#).as_bytes()).await;
    assert_eq!(joined.0, 200, "{}", joined.1);
    let status_of_b = || async {
        let (_, members) = request(a, "GET", "/api/members", b"").await;
        let members: serde_json::Value = serde_json::from_str(&members).unwrap();
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "b")
            .map(|m| m["status"].as_str().unwrap().to_owned())
    };
    for (name, expected_status, expected) in [
        ("b", 422, "b is not dead here"),
        ("a", 422, "a is not dead here"),
        ("nobody", 404, "no member nobody"),
        ("", 400, "invalid node name"),
    ] {
        let (status, body) = request(a, "POST", "/api/force-leave", name.as_bytes()).await;
        assert_eq!(status, expected_status, "{name}: {body}");
        assert!(body.contains(expected), "{name}: {body}");
    }
    assert_eq!(status_of_b().await.as_deref(), Some("alive"));

    b_running.abort();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while status_of_b().await.as_deref() != Some("dead") {
        assert!(tokio::time::Instant::now() < deadline, "b is declared dead");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Datagrams to a dead member's address are no answer from it.
    let (status, body) =
        request(a, "POST", "/api/join", format!(r#"["{b_udp}"]"#).as_bytes()).await;
    assert_eq!(status, 504, "{body}");
    let (status, body) = request(a, "POST", "/api/force-leave", b"b").await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"left":"b","already":false}"#)
    );
    assert_eq!(status_of_b().await.as_deref(), Some("left"));
    let (status, body) = request(a, "POST", "/api/force-leave", b"b").await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"left":"b","already":true}"#)
    );
}

/// A user event is sent by name with its payload as the body, and heard at once by the
/// agent itself; a name or payload the core refuses is a 4xx that sends nothing.
#[tokio::test]
async fn a_user_event_is_sent_by_name_and_refused_when_it_breaks_the_rules() {
    let (addr, _stop) = start().await;
    let (status, body) = request(addr, "POST", "/api/user-events/deploy", b"v2").await;
    assert_eq!(status, 200, "{body}");
    let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (&sent["name"], &sent["payload"]),
        (&"deploy".into(), &"v2".into())
    );
    let (_, recent) = request(addr, "GET", "/api/events/recent", b"").await;
    assert!(
        recent.contains(r#""kind":"user""#) && recent.contains(r#""payload":"v2""#),
        "{recent}"
    );
    let (_, stats) = request(addr, "GET", "/api/stats", b"").await;
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(
        stats["user_events"],
        serde_json::json!({ "sent": 1, "heard": 1, "expired": 0 })
    );
    let (status, body) = request(addr, "POST", "/api/user-events/a%0Ab", b"").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("control or bidirectional formatting characters"),
        "{body}"
    );
    // U+202E, which shows the rest of a name backwards in a log.
    let (status, body) = request(addr, "POST", "/api/user-events/deploy%E2%80%AE", b"").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = request(addr, "POST", "/api/user-events/big", &[b'x'; 600]).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = request(addr, "POST", "/api/user-events/latin", b"caf\xe9").await;
    assert_eq!(status, 400, "{body}");
    let (_, recent) = request(addr, "GET", "/api/events/recent", b"").await;
    assert_eq!(
        recent.matches(r#""event":{"kind":"user""#).count(),
        1,
        "{recent}"
    );
}
