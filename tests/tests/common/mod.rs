//! A scripted HTTP/1.1 server on 127.0.0.1 for cases the fake Flat server
//! does not produce: foreign links, redirects, invalid bodies.

#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use flat_org_blocking::{AccessToken, Client, RetryPolicy};

/// One request as the scripted server read it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub target: String,
    pub head: String,
}

/// Builds the raw response to the `n`th request (0-based), given the server's
/// own base URL.
pub type Script = dyn Fn(usize, &SeenRequest, &str) -> String + Send + Sync;

pub struct ScriptedServer {
    base_url: String,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    accept: Option<JoinHandle<()>>,
}

impl ScriptedServer {
    pub fn start(
        script: impl Fn(usize, &SeenRequest, &str) -> String + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let base_url = format!("http://127.0.0.1:{port}/v2");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let accept = {
            let (seen, connections, stop, base) = (
                seen.clone(),
                connections.clone(),
                stop.clone(),
                base_url.clone(),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (seen, script, base) = (seen.clone(), script.clone(), base.clone());
                    std::thread::spawn(move || serve(stream, &seen, &*script, &base));
                }
            })
        };
        ScriptedServer {
            base_url,
            seen,
            connections,
            stop,
            port,
            accept: Some(accept),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Builds a client without retries, so that each scripted response is the
    /// outcome of one request.
    pub fn client(&self) -> Client {
        Client::builder(AccessToken::new("scripted-token").expect("token"))
            .base_url(self.base_url.clone())
            .retry(RetryPolicy::never())
            .timeout_response(Duration::from_secs(5))
            .build()
            .expect("client")
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<SeenRequest>>, script: &Script, base: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    // Bounded: a connection serves at most 10,000 requests.
    for _ in 0..10_000 {
        let mut head = String::new();
        let mut content_length = 0;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut words = head.split_whitespace();
        let request = SeenRequest {
            method: words.next().unwrap_or_default().to_owned(),
            target: words.next().unwrap_or_default().to_owned(),
            head: head.clone(),
        };
        let index = {
            let mut seen = seen.lock().expect("lock");
            seen.push(request.clone());
            seen.len() - 1
        };
        let response = script(index, &request, base);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Builds a client for the fake Flat server, with its token and base URL.
pub fn client_for(server: &flat_org_tests::fake::FakeServer) -> Client {
    Client::builder(AccessToken::new(server.token()).expect("the fake's token is valid"))
        .base_url(server.base_url())
        .build()
        .expect("the fake's base URL is valid")
}

/// Builds a complete response with a JSON body and extra header lines.
pub fn json_response(status: &str, headers: &[String], body: &str) -> String {
    let mut response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for header in headers {
        response.push_str(header);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(body);
    response
}

/// Builds the JSON of one user as the API sends it.
pub fn user_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"user","product":"flatEdu","username":"u{id}","picture":null}}"#
    )
}
