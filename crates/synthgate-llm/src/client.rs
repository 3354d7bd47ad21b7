//! The OpenAI-compatible HTTP client: the one protocol vLLM, llama.cpp, Ollama, TGI and the
//! hosted APIs speak. Blocking (requests run on worker threads); every request is retried on
//! 429, 5xx, timeouts and connection errors with exponential backoff, honouring `Retry-After`.

use std::time::{Duration, Instant};

use serde_json::Value;
use synthgate_core::{Error, ErrorKind, Result};

use crate::spec::ServerSpec;

/// A connected client.
#[derive(Debug)]
pub struct Client {
    /// The base URL ending in `/v1`.
    base: String,
    api_key: Option<String>,
    retries: u32,
    backoff: f64,
    agent: ureq::Agent,
}

/// One answered request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status of the final attempt.
    pub status: u16,
    /// The body, parsed as JSON when it is JSON, else as a string.
    pub body: Value,
    /// Milliseconds from the first attempt to the answer.
    pub wall_ms: u64,
    /// HTTP attempts made (1 when the first succeeded).
    pub http_attempts: u32,
}

/// `base_url` with `/v1` appended unless it already ends so (trailing slashes ignored).
pub fn normalise_base(base_url: &str) -> String {
    let trimmed = base_url.trim().trim_end_matches('/');
    if trimmed.ends_with("/v1") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v1")
    }
}

/// The host (and port) of `base_url`, what a manifest may record.
pub fn host_of(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or(rest);
    // Credentials in a URL never leave the machine.
    host.rsplit_once('@').map_or(host, |(_, h)| h).to_string()
}

fn server_error(message: String) -> Error {
    Error::new(ErrorKind::Environment, message)
}

impl Client {
    /// A client for `server`; the API key is read from its environment variable now.
    pub fn new(server: &ServerSpec) -> Result<Client> {
        let api_key = match &server.api_key_env {
            None => None,
            Some(name) => Some(std::env::var(name).map_err(|_| {
                Error::new(
                    ErrorKind::Environment,
                    format!("the API key variable {name} (server.api_key_env) is not set."),
                )
                .hint(format!(
                    "export {name}=... before running, or remove api_key_env."
                ))
            })?),
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs_f64(server.timeout_seconds)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            base: normalise_base(&server.base_url),
            api_key,
            retries: server.retries,
            backoff: server.backoff_seconds.max(0.0),
            agent,
        })
    }

    /// The base URL requests go to (ending in `/v1`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn once(
        &self,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<(u16, Value, Option<f64>), ureq::Error> {
        let url = format!("{}{path}", self.base);
        let mut response = match body {
            Some(body) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json");
                if let Some(key) = &self.api_key {
                    request = request.header("Authorization", &format!("Bearer {key}"));
                }
                request.send(body.to_string().as_bytes())?
            }
            None => {
                let mut request = self.agent.get(&url);
                if let Some(key) = &self.api_key {
                    request = request.header("Authorization", &format!("Bearer {key}"));
                }
                request.call()?
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let text = response.body_mut().read_to_string()?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, body, retry_after))
    }

    /// POST `body` to `path` (e.g. `/chat/completions`), or GET when `body` is `None`, retrying
    /// on 429, 5xx, timeouts and connection errors. A 4xx other than 429 is returned as is
    /// (the caller decides); exhausted retries are an environment error (exit 6).
    pub fn send(&self, path: &str, body: Option<&Value>) -> Result<Reply> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let wait = match self.once(path, body) {
                Ok((status, body, retry_after)) => {
                    if status == 429 || status >= 500 {
                        if attempt > self.retries {
                            return Err(server_error(format!(
                                "the server at {}{path} answered HTTP {status} {} times: {}",
                                self.base,
                                attempt,
                                excerpt(&body)
                            )));
                        }
                        retry_after.map(|s| s.min(60.0))
                    } else {
                        return Ok(Reply {
                            status,
                            body,
                            wall_ms: started.elapsed().as_millis() as u64,
                            http_attempts: attempt,
                        });
                    }
                }
                Err(error) => {
                    if attempt > self.retries {
                        let what = match error {
                            ureq::Error::Timeout(_) => "did not answer in time",
                            _ => "cannot be reached",
                        };
                        return Err(server_error(format!(
                            "the server at {} {what} ({error}; {attempt} attempts).",
                            self.base
                        ))
                        .hint(
                            "Check server.base_url and that the server is running; \
                               server.timeout_seconds and server.retries set the patience.",
                        ));
                    }
                    None
                }
            };
            let backoff = self.backoff * f64::from(1u32 << (attempt - 1).min(16));
            std::thread::sleep(Duration::from_secs_f64(wait.unwrap_or(backoff)));
        }
    }
}

/// The first 300 characters of a response body, for messages.
pub fn excerpt(body: &Value) -> String {
    let text = match body {
        Value::String(s) => s.clone(),
        other => {
            if let Some(message) = other["error"]["message"].as_str() {
                message.to_string()
            } else if let Some(message) = other["error"].as_str() {
                message.to_string()
            } else {
                other.to_string()
            }
        }
    };
    let mut cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_one_v1_and_hosts_drop_credentials() {
        assert_eq!(normalise_base("http://h:8080"), "http://h:8080/v1");
        assert_eq!(normalise_base("http://h:8080/"), "http://h:8080/v1");
        assert_eq!(normalise_base("http://h:8080/v1/"), "http://h:8080/v1");
        assert_eq!(normalise_base("https://api.x/v1"), "https://api.x/v1");
        assert_eq!(host_of("https://user:pw@api.x:443/v1"), "api.x:443");
        assert_eq!(host_of("http://127.0.0.1:18080"), "127.0.0.1:18080");
    }
}
