//! The OpenAI-compatible HTTP client: the one protocol vLLM, llama.cpp, Ollama, TGI and the
//! hosted APIs speak. Blocking (requests run on worker threads); every request is retried on
//! 429, 5xx, timeouts and connection errors with exponential backoff, honouring `Retry-After`.

use std::time::{Duration, Instant};

use serde_json::Value;
use synthgate_core::{Error, ErrorKind, Result};

use crate::spec::ServerSpec;
pub use crate::url::{display_url, host_of, normalise_base};
use crate::url::{is_credential_parameter, split_query, split_userinfo};

/// A connected client.
pub struct Client {
    /// The base URL ending in `/v1`, without its query.
    base: String,
    /// The base URL's query string, sent after every request's path.
    query: Option<String>,
    /// The base URL as messages show it ([`display_url`]).
    shown: String,
    api_key: Option<String>,
    secrets: Secrets,
    retries: u32,
    backoff: f64,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key or the URL's credentials.
        f.debug_struct("Client")
            .field("base", &self.shown)
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
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

/// The text every message and log entry uses in place of a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for in text: they would erase ordinary words
/// and protect nothing.
const MIN_SECRET_CHARS: usize = 4;

/// The secret values of a server: the API key, the password (or token-like user name) in the
/// base URL, the Basic credential an HTTP client makes of them, and the values of its
/// credential-looking query parameters. Everything a server sends back passes through
/// [`Secrets::redact_value`] before it is parsed, logged or put in a message, so a server
/// that echoes the request's headers or URL cannot put them in the log.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is replaced whole.
    values: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// The secrets of `base_url` and `api_key`.
    pub fn new(base_url: &str, api_key: Option<&str>) -> Secrets {
        let mut values: Vec<String> = Vec::new();
        // As written and percent-decoded.
        let add = |values: &mut Vec<String>, value: &str| {
            values.push(value.to_string());
            values.push(percent_decode(value));
        };
        if let Some(key) = api_key {
            add(&mut values, key);
        }
        let (_, userinfo, rest) = split_userinfo(base_url.trim());
        if let Some(userinfo) = userinfo {
            match userinfo.split_once(':') {
                Some((_, password)) => add(&mut values, password),
                // A user name alone is usually a token (`https://TOKEN@host`).
                None => add(&mut values, userinfo),
            }
            // An HTTP client sends the userinfo as `Authorization: Basic base64(user:password)`.
            let basic = if userinfo.contains(':') {
                userinfo.to_string()
            } else {
                format!("{userinfo}:")
            };
            values.push(base64(basic.as_bytes()));
            values.push(base64(percent_decode(&basic).as_bytes()));
        }
        if let (_, Some(query)) = split_query(rest) {
            for pair in query.split('&') {
                if let Some((name, value)) = pair.split_once('=')
                    && is_credential_parameter(name)
                {
                    add(&mut values, value);
                }
            }
        }
        values.retain(|v| v.chars().count() >= MIN_SECRET_CHARS);
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Secrets { values }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// Every string (and object key) in `value` redacted.
    pub fn redact_value(&self, value: &mut Value) {
        if self.values.is_empty() {
            return;
        }
        match value {
            Value::String(text) => *text = self.redact(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_value(item)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    self.redact_value(&mut item);
                    map.insert(self.redact(&key), item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// `%XX` sequences decoded (invalid ones and non-UTF-8 results kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Standard base64 with padding (RFC 4648), as HTTP Basic authentication uses.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
        let normalised = normalise_base(&server.base_url);
        let (base, query) = split_query(&normalised);
        Ok(Client {
            base: base.to_string(),
            query: query.map(str::to_string),
            shown: display_url(&normalised),
            secrets: Secrets::new(&server.base_url, api_key.as_deref()),
            api_key,
            retries: server.retries,
            backoff: server.backoff_seconds.max(0.0),
            agent,
        })
    }

    /// The base URL requests go to (ending in `/v1`) as messages show it: without
    /// credentials ([`display_url`]).
    pub fn display_base(&self) -> &str {
        &self.shown
    }

    /// The secrets of this server, to redact from anything it sends back.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The URL of `path` (e.g. `/chat/completions`), the base URL's query after it.
    fn url(&self, path: &str) -> String {
        match &self.query {
            Some(query) => format!("{}{path}?{query}", self.base),
            None => format!("{}{path}", self.base),
        }
    }

    fn once(
        &self,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<(u16, Value, Option<f64>), ureq::Error> {
        let url = self.url(path);
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
        // Redacted before anything reads it: a server may echo the key or the URL.
        let mut body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.secrets.redact_value(&mut body);
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
                                "the server at {} answered HTTP {status} {} times: {}",
                                display_url(&self.url(path)),
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
                        // The client's message may quote the URL.
                        let error = self.secrets.redact(&error.to_string());
                        return Err(server_error(format!(
                            "the server at {} {what} ({error}; {attempt} attempts).",
                            self.shown
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
        assert_eq!(host_of("http://h:1?token=abcd"), "h:1");
        assert_eq!(host_of("https://tok@h#x"), "h");
        // A query stays after the /v1 the requests' paths are appended to.
        assert_eq!(
            normalise_base("http://h/?api-version=2024&key=abc"),
            "http://h/v1?api-version=2024&key=abc"
        );
    }

    #[test]
    fn shown_urls_carry_no_credentials() {
        let check = |url: &str, shown: &str| assert_eq!(display_url(url), shown, "{url}");
        check(
            "http://user:s3cret-pass@127.0.0.1:8080/v1?token=s3cret-token",
            "http://127.0.0.1:8080/v1?token=REDACTED",
        );
        check("https://tok@api.x", "https://api.x");
        check(
            "https://api.x/v1?api-version=1&API_KEY=k&Access-Token=t&sig=s&Password=p&secret=x&key",
            "https://api.x/v1?api-version=1&API_KEY=REDACTED&Access-Token=REDACTED&sig=REDACTED\
             &Password=REDACTED&secret=REDACTED&key",
        );
        check("https://api.x/v1#access_token=t", "https://api.x/v1");
        // An '@' in the path is not userinfo.
        check("http://h/a@b", "http://h/a@b");
        check("u:p@h:1/v1", "h:1/v1");
    }

    #[test]
    fn secrets_are_redacted_in_every_form_a_server_may_echo_them() {
        let secrets = Secrets::new(
            "http://user:s3cret%2Dpass@h/v1?token=s3cret-token&api-version=2024",
            Some("sk-the-key"),
        );
        let basic = base64(b"user:s3cret%2Dpass");
        let text = format!(
            "Bearer sk-the-key / s3cret%2Dpass / s3cret-pass / token=s3cret-token / Basic {basic} \
             / api-version=2024"
        );
        assert_eq!(
            secrets.redact(&text),
            "Bearer [REDACTED] / [REDACTED] / [REDACTED] / token=[REDACTED] / Basic [REDACTED] \
             / api-version=2024"
        );
        // Inside JSON, in values and keys, whatever the escaping.
        let mut value: Value =
            serde_json::from_str(r#"{"echo": ["Bearer sk\u002dthe-key"], "sk-the-key": {"n": 1}}"#)
                .expect("json");
        secrets.redact_value(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"echo": ["Bearer [REDACTED]"], "[REDACTED]": {"n": 1}})
        );
        // Too short to search for: would erase ordinary text.
        assert_eq!(
            Secrets::new("http://u:pw@h", Some("k")).redact("k pw"),
            "k pw"
        );
        // A user name alone is a token.
        assert_eq!(
            Secrets::new("https://ghp_token@h", None).redact("ghp_token"),
            REDACTED
        );
    }

    #[test]
    fn base64_is_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("user:s3cret-pass", "dXNlcjpzM2NyZXQtcGFzcw=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
