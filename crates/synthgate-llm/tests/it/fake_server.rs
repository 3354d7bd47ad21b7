//! A real HTTP server on 127.0.0.1 (std only) that speaks just enough of the OpenAI-compatible
//! API for contract tests: each request is handed to a closure that decides the answer. It
//! counts requests and records each one's path, headers and body.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Received {
    /// The path without its query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// The `Authorization` header as sent, or "".
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .map_or("", |(_, value)| value.as_str())
    }

    /// What a careless server echoes back: the request line's path (with its query) and the
    /// `Authorization` header.
    pub fn echo(&self) -> String {
        format!("{} {}", self.path, self.authorization())
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Status, extra headers and body.
    Http(u16, Vec<(String, String)>, String),
    /// Wait this long, then answer.
    Slow(Duration, Box<Answer>),
    /// Close the connection without answering.
    Hang,
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer::Http(status, Vec::new(), body.to_string())
    }
}

type Handler = dyn Fn(&Received, usize) -> Answer + Send + Sync;

/// A running server; stops when dropped.
pub struct FakeServer {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl FakeServer {
    /// Start a server whose answers come from `handler(request, index among completion
    /// requests)`. `GET /v1/models` answers a list with `models` unless the handler is asked.
    pub fn start(
        models: &[&str],
        handler: impl Fn(&Received, usize) -> Answer + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let models: Vec<String> = models.iter().map(|m| m.to_string()).collect();
        let completions = Arc::new(Mutex::new(0usize));
        {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (received, handler, models, completions) = (
                                Arc::clone(&received),
                                Arc::clone(&handler),
                                models.clone(),
                                Arc::clone(&completions),
                            );
                            std::thread::spawn(move || {
                                serve(stream, &received, handler.as_ref(), &models, &completions)
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        FakeServer {
            base_url: format!("http://127.0.0.1:{port}"),
            received,
            stop,
            port,
        }
    }

    /// Completion requests received so far.
    pub fn completions(&self) -> Vec<Received> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.route().ends_with("completions"))
            .cloned()
            .collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.port;
    }
}

fn serve(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    handler: &Handler,
    models: &[String],
    completions: &Mutex<usize>,
) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let request = Received {
        method,
        path: path.clone(),
        headers,
        body,
    };
    received.lock().expect("lock").push(request.clone());
    let answer = if request.route().ends_with("/models") && request.method == "GET" {
        let data: Vec<serde_json::Value> = models
            .iter()
            .map(|m| serde_json::json!({"id": m, "object": "model"}))
            .collect();
        Answer::json(200, serde_json::json!({"object": "list", "data": data}))
    } else {
        let index = {
            let mut n = completions.lock().expect("lock");
            *n += 1;
            *n - 1
        };
        handler(&request, index)
    };
    respond(stream, answer);
}

fn respond(mut stream: TcpStream, answer: Answer) {
    match answer {
        Answer::Hang => {}
        Answer::Slow(wait, inner) => {
            std::thread::sleep(wait);
            respond(stream, *inner);
        }
        Answer::Http(status, headers, body) => {
            let mut text = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str("\r\n");
            text.push_str(&body);
            let _ = stream.write_all(text.as_bytes());
            let _ = stream.flush();
        }
    }
}

/// A chat completion answer with `content` and `finish_reason`.
pub fn chat(content: &str, finish_reason: &str) -> Answer {
    Answer::json(
        200,
        serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "fake-model",
            "system_fingerprint": "fp-test",
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
        }),
    )
}
