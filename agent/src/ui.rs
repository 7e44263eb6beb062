//! The agent's web page: the lab's own build (`trunk build`), served in live mode.
//!
//! The page is the same Yew app as the browser lab. What makes it show this agent's
//! cluster instead of a simulation is one tag the agent adds to `index.html` as it
//! serves it, `<meta name="gossip-agent" content="NAME">`: the app finds it and reads
//! the HTTP API and the event stream of the agent that served it. Every other file of
//! the build is served as it is.
//!
//! The page's files go gzip-compressed to a browser that takes it: the lab's wasm is
//! about 2 MB and under 800 KB compressed, which counts on any network but loopback.
//!
//! Without a build (a checkout where `trunk build` never ran) `GET /` answers a short
//! page that says how to build it, and links to the API, which works regardless.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// Where the page is looked for when `--ui-dir` is not given: the trunk build output of
/// the source tree this binary was built from.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

/// The page's routes: `/` (and `/index.html`) with the live-mode tag for `node`, the
/// build's other files, and `fallback` for any path that is no file of the build.
pub fn routes(dir: PathBuf, node: String, fallback: Router) -> Router {
    let files = ServeDir::new(&dir)
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .fallback(fallback);
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .with_state(Page { dir, node })
        .fallback_service(files)
        .layer(CompressionLayer::new().gzip(true))
}

#[derive(Clone, Debug)]
struct Page {
    dir: PathBuf,
    node: String,
}

/// Read at each request, so a rebuilt page shows up without restarting the agent.
async fn index(State(page): State<Page>) -> Response {
    let path = page.dir.join("index.html");
    match tokio::fs::read_to_string(&path).await {
        Ok(html) => Html(live_index(&html, &page.node)).into_response(),
        Err(_) => (StatusCode::OK, Html(not_built(&page.dir, &page.node))).into_response(),
    }
}

/// `html` with the tag that switches the app to live mode added to its head.
pub fn live_index(html: &str, node: &str) -> String {
    let tag = format!(r#"<meta name="gossip-agent" content="{}" />"#, escape(node));
    match html.find("</head>") {
        Some(at) => format!("{}{tag}\n{}", &html[..at], &html[at..]),
        None => format!("{tag}\n{html}"),
    }
}

/// What `/` says when there is no build to serve.
fn not_built(dir: &Path, node: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gossip agent {node}</title></head>
<body>
<h1>gossip agent {node}</h1>
<p>This agent serves the lab's web page in live mode, but the page has not been built:
there is no <code>index.html</code> in <code>{dir}</code>.</p>
<p>Build it once in the source tree with <code>trunk build --release</code> (the README's
serve command does this too), or start the agent with <code>--ui-dir DIR</code> pointing at a build.</p>
<p>The HTTP API works without it: <a href="/api/members">members</a>, <a href="/api/kv">keys</a>,
<a href="/api/stats">stats</a>, <a href="/metrics">metrics</a>.</p>
</body></html>
"#,
        node = escape(node),
        dir = escape(&dir.display().to_string()),
    )
}

/// Text made safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_tag_goes_into_the_head_escaped() {
        let page = live_index(
            "<html><head><title>x</title></head><body></body></html>",
            "n\"1<",
        );
        let tag = r#"<meta name="gossip-agent" content="n&quot;1&lt;" />"#;
        let at = page.find(tag).expect(&page);
        assert!(at < page.find("</head>").unwrap());
        assert!(page.ends_with("</head><body></body></html>"));
    }
}
