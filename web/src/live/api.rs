//! Calls to the agent that served the page, on the same origin.

use gloo_net::http::{Request, Response};
use gossip_api::{JoinInfo, KeyInfo, MemberInfo, StatsInfo};
use serde::de::DeserializeOwned;

/// Why a call failed, in words for the page.
pub type ApiError = String;

async fn answer<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = response.map_err(|e| format!("the agent does not answer: {e}"))?;
    if !response.ok() {
        // The API's errors are JSON {"error": "..."}.
        let status = response.status();
        let message = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|body| body.get("error")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| response.status_text());
        return Err(format!("{status}: {message}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("the agent's answer does not parse: {e}"))
}

pub async fn members() -> Result<Vec<MemberInfo>, ApiError> {
    answer(Request::get("/api/members").send().await).await
}

pub async fn keys() -> Result<Vec<KeyInfo>, ApiError> {
    answer(Request::get("/api/kv").send().await).await
}

pub async fn stats() -> Result<StatsInfo, ApiError> {
    answer(Request::get("/api/stats").send().await).await
}

fn key_url(key: &str) -> String {
    format!("/api/kv/{}", js_sys::encode_uri_component(key))
}

pub async fn put(key: &str, value: &str) -> Result<KeyInfo, ApiError> {
    let request = Request::put(&key_url(key))
        .header("content-type", "text/plain; charset=utf-8")
        .body(value.to_owned())
        .map_err(|e| e.to_string())?;
    answer(request.send().await).await
}

pub async fn delete(key: &str) -> Result<KeyInfo, ApiError> {
    answer(Request::delete(&key_url(key)).send().await).await
}

pub async fn leave() -> Result<serde_json::Value, ApiError> {
    answer(Request::post("/api/leave").send().await).await
}

/// Makes the agent join the agents at `addrs` (`IP:PORT` or `HOST:PORT`).
pub async fn join(addrs: &[String]) -> Result<JoinInfo, ApiError> {
    let request = Request::post("/api/join")
        .json(&addrs)
        .map_err(|e| e.to_string())?;
    answer(request.send().await).await
}
