//! End-to-end benchmark: listing a large organization from the fake Flat
//! server, with the blocking client against a bare ureq + serde_json loop.
//!
//! The parent process runs the fake server. Each measured listing runs in a
//! child process, so that its peak resident memory (`VmHWM`) is the
//! client's alone. Runs alternate A B A B ... so that both see the same
//! machine load.
//!
//! - A: `flat-org-blocking`'s item iterator, dropping each user.
//! - B: the floor: the same requests with a plain `ureq` agent, each page
//!   decoded by `serde_json` into `Vec<User>`, the next link found by hand.
//!
//! Usage: `cargo run --release -p flat-org-tests --bin flat-org-bench -- [RUNS]`.
//! `flat-org-bench serve [USERS]` runs the seeded server alone and
//! `flat-org-bench child a|b` one listing, for profiling under other tools.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark program prints its figures"
)]

use std::process::{Command, ExitCode};
use std::time::Instant;

use flat_org_blocking::ops::ListUsers;
use flat_org_blocking::{AccessToken, Client, User};
use flat_org_tests::fake::FakeServer;

const LARGE: usize = 100_000;
const SMALL: usize = 10_000;
const PAGE: u32 = 1000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child") => child(args.get(2).map(String::as_str)),
        Some("serve") => serve(args.get(2).map(String::as_str)),
        runs => {
            let runs = runs.map_or(Ok(5), str::parse::<usize>);
            match runs {
                Ok(runs) if runs > 0 => orchestrate(runs),
                _ => {
                    eprintln!("usage: flat-org-bench [RUNS], RUNS a positive number of A/B pairs");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// One measured listing: its wall time, the users counted, and the child's
/// peak resident memory in KiB.
struct Run {
    seconds: f64,
    users: usize,
    peak_kib: u64,
}

fn run_child(kind: &str, server: &FakeServer) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe failed: {e}"))?;
    let output = Command::new(exe)
        .args(["child", kind])
        .env("FLAT_BENCH_URL", server.base_url())
        .env("FLAT_BENCH_TOKEN", server.token())
        .output()
        .map_err(|e| format!("child process failed to start: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("child {kind} failed: {stderr}{stdout}"));
    }
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let parse_error = || format!("unexpected child output {stdout:?}");
    let [seconds, users, peak_kib] = fields.as_slice() else {
        return Err(parse_error());
    };
    Ok(Run {
        seconds: seconds.parse().map_err(|_| parse_error())?,
        users: users.parse().map_err(|_| parse_error())?,
        peak_kib: peak_kib.parse().map_err(|_| parse_error())?,
    })
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

fn orchestrate(runs: usize) -> ExitCode {
    match measure(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn measure(runs: usize) -> Result<(), String> {
    let seeding = Instant::now();
    let server = FakeServer::start();
    server.seed(LARGE, 0, 0);
    println!(
        "fake server: {LARGE} users at {} (seeded in {:.1} s); limit={PAGE}, {} pages a listing",
        server.base_url(),
        seeding.elapsed().as_secs_f64(),
        LARGE.div_ceil(PAGE as usize)
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!();
    println!("run   A client (s)   B floor (s)   A/B");

    let (mut a_times, mut b_times, mut ratios, mut a_peaks) = (vec![], vec![], vec![], vec![]);
    for run in 1..=runs {
        let a = run_child("a", &server)?;
        let b = run_child("b", &server)?;
        for (name, result) in [("A", &a), ("B", &b)] {
            if result.users != LARGE {
                return Err(format!("{name} listed {} users, not {LARGE}", result.users));
            }
        }
        let ratio = a.seconds / b.seconds;
        println!(
            "{run:>3}   {:>12.3}   {:>11.3}   {ratio:.3}",
            a.seconds, b.seconds
        );
        a_times.push(a.seconds);
        b_times.push(b.seconds);
        ratios.push(ratio);
        a_peaks.push(a.peak_kib as f64);
    }
    println!();
    println!(
        "median: A {:.3} s, B {:.3} s; median of the per-pair A/B ratios {:.3}",
        median(&a_times),
        median(&b_times),
        median(&ratios)
    );

    let small = FakeServer::start();
    small.seed(SMALL, 0, 0);
    let mut small_peaks = Vec::new();
    for _ in 0..runs.min(3) {
        let run = run_child("a", &small)?;
        if run.users != SMALL {
            return Err(format!("A listed {} users, not {SMALL}", run.users));
        }
        small_peaks.push(run.peak_kib as f64);
    }
    let (large_peak, small_peak) = (median(&a_peaks), median(&small_peaks));
    println!(
        "peak resident memory of A (VmHWM, median): {:.1} MiB at {LARGE} users, \
         {:.1} MiB at {SMALL} users, difference {:+.2} MiB",
        large_peak / 1024.0,
        small_peak / 1024.0,
        (large_peak - small_peak) / 1024.0
    );
    Ok(())
}

/// Runs the seeded fake server alone, for profiling a child under another
/// tool: prints `FLAT_BENCH_URL=... FLAT_BENCH_TOKEN=...` and serves for at
/// most an hour, or until killed.
fn serve(users: Option<&str>) -> ExitCode {
    let users = users.and_then(|n| n.parse().ok()).unwrap_or(LARGE);
    let server = FakeServer::start();
    server.seed(users, 0, 0);
    println!(
        "FLAT_BENCH_URL={} FLAT_BENCH_TOKEN={}",
        server.base_url(),
        server.token()
    );
    std::thread::sleep(std::time::Duration::from_secs(3600));
    ExitCode::SUCCESS
}

fn child(kind: Option<&str>) -> ExitCode {
    let url = std::env::var("FLAT_BENCH_URL").unwrap_or_default();
    let token = std::env::var("FLAT_BENCH_TOKEN").unwrap_or_default();
    let started = Instant::now();
    let counted = match kind {
        Some("a") => list_with_client(&url, &token),
        Some("b") => list_with_ureq(&url, &token),
        _ => Err("child mode is `a` or `b`".to_owned()),
    };
    match counted {
        Ok(users) => {
            let seconds = started.elapsed().as_secs_f64();
            println!("{seconds} {users} {}", peak_kib());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn list_with_client(url: &str, token: &str) -> Result<usize, String> {
    let token = AccessToken::new(token).map_err(|e| e.to_string())?;
    let client = Client::builder(token)
        .base_url(url)
        .build()
        .map_err(|e| e.to_string())?;
    let mut users = 0;
    for user in client
        .items(&ListUsers::new().limit(PAGE))
        .map_err(|e| e.to_string())?
    {
        let user = user.map_err(|e| e.to_string())?;
        std::hint::black_box(&user);
        users += 1;
    }
    Ok(users)
}

fn list_with_ureq(url: &str, token: &str) -> Result<usize, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let authorization = format!("Bearer {token}");
    let mut next = Some(format!("{url}/organizations/users?limit={PAGE}"));
    let mut users = 0;
    while let Some(page_url) = next.take() {
        let mut response = agent
            .get(&page_url)
            .header("authorization", &authorization)
            .header("accept", "application/json")
            .call()
            .map_err(|e| e.to_string())?;
        next = response
            .headers()
            .get("link")
            .and_then(|value| value.to_str().ok())
            .and_then(next_link);
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        let page: Vec<User> = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        users += page.len();
    }
    Ok(users)
}

/// Finds the `rel="next"` target in the fake server's `Link` format.
fn next_link(value: &str) -> Option<String> {
    value.split(", ").find_map(|link| {
        let (target, params) = link.split_once(">;")?;
        params
            .contains("rel=\"next\"")
            .then(|| target.trim_start_matches('<').to_owned())
    })
}

/// Peak resident set size of this process in KiB, from `/proc/self/status`.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:")
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}
