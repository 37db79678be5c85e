//! A Stoplight Prism mock server in a child process, on a free port of
//! 127.0.0.1, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long Prism may take to listen. It usually needs 1 to 6 seconds.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Lines of Prism's output kept for error messages.
const KEPT_LINES: usize = 40;

pub struct Prism {
    child: Child,
    port: u16,
    requests: Arc<AtomicUsize>,
    output: Arc<Mutex<Vec<String>>>,
}

fn prism_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("prism")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

impl Prism {
    /// Starts `prism mock --errors --dynamic --seed SEED` on the contract.
    ///
    /// # Panics
    ///
    /// When Prism is not installed or does not listen within a minute, with
    /// what to do about it.
    pub fn start(seed: u64) -> Prism {
        let dir = prism_dir();
        let binary = dir.join("node_modules/.bin/prism");
        assert!(
            binary.exists(),
            "Prism is not installed at {}: run `npm ci --prefix tests/prism` (Node.js and npm \
             are needed)",
            binary.display()
        );
        // A port freed a moment ago can be taken by another process before
        // Prism binds it, so a failed start is tried again on a new port.
        let mut last_error = String::new();
        for _ in 0..3 {
            match Prism::try_start(&dir, &binary, seed) {
                Ok(prism) => return prism,
                Err(error) => last_error = error,
            }
        }
        panic!("Prism did not start (seed {seed}): {last_error}");
    }

    fn try_start(
        dir: &std::path::Path,
        binary: &std::path::Path,
        seed: u64,
    ) -> Result<Prism, String> {
        let port = free_port();
        let mut child = Command::new(binary)
            .current_dir(dir)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["--errors", "--dynamic", "--seed", &seed.to_string()])
            .arg("organization.openapi.yaml")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{} could not be run: {e}", binary.display()))?;

        let requests = Arc::new(AtomicUsize::new(0));
        let output = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let (requests, output) = (requests.clone(), output.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("Request received") {
                        requests.fetch_add(1, Ordering::SeqCst);
                    }
                    let mut kept = output.lock().expect("output lines");
                    if kept.len() == KEPT_LINES {
                        kept.remove(0);
                    }
                    kept.push(line);
                }
            });
        }

        let mut prism = Prism {
            child,
            port,
            requests,
            output,
        };
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(status)) = prism.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", prism.output_tail()));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(prism);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "not listening on {address} after {START_TIMEOUT:?}:\n{}",
            prism.output_tail()
        ))
    }

    /// Base URL of the mock. Prism serves the contract's paths without the
    /// server URL's `/v2`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests Prism has logged so far.
    pub fn requests_seen(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Waits until Prism has logged `count` requests, at most 10 seconds.
    pub fn wait_for_requests(&self, count: usize) {
        let started = Instant::now();
        while self.requests_seen() < count && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            self.requests_seen() >= count,
            "Prism logged {} requests, expected {count}:\n{}",
            self.requests_seen(),
            self.output_tail()
        );
    }

    fn output_tail(&self) -> String {
        self.output.lock().expect("output lines").join("\n")
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
