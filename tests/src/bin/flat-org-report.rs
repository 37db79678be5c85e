//! Lists every user, invitation and LTI credential of a Flat organization,
//! following all pages, and prints a short report.
//!
//! With `FLAT_ACCESS_TOKEN` set, it talks to `FLAT_API_URL` (default
//! `https://api.flat.io/v2`). Without a token it starts a fake Flat server on
//! 127.0.0.1, seeds it with a generated organization, and reports on that.
//!
//! The last three lines are always `users: N`, `invitations: N` and
//! `lti credentials: N`, for scripts.
#![allow(
    clippy::print_stderr,
    reason = "a command-line program reports its error on stderr"
)]

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use flat_org_blocking::ops::{ListInvitations, ListLtiCredentials, ListUsers};
use flat_org_blocking::{AccessToken, Client, Error};
use flat_org_tests::fake::FakeServer;

/// Size of the organization the fake server is seeded with.
const FAKE_USERS: usize = 3_000;
const FAKE_INVITATIONS: usize = 40;
const FAKE_LTI_CREDENTIALS: usize = 3;

/// Why the report stopped early.
enum Stop {
    /// A call failed; the message goes to stderr.
    Failed(String),
    /// Standard output was closed, as by `| head`, so the report stops quietly.
    OutputClosed,
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Failed(message)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) | Err(Stop::OutputClosed) => ExitCode::SUCCESS,
        Err(Stop::Failed(message)) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::FAILURE
        }
    }
}

/// Writes one line to stdout.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout().lock(), $($arg)*).map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                Stop::OutputClosed
            } else {
                Stop::Failed(format!("writing the report failed: {e}"))
            }
        })
    };
}

fn run() -> Result<(), Stop> {
    // Held until the report is done: dropping it stops the fake server.
    let mut fake = None;
    let client = match std::env::var("FLAT_ACCESS_TOKEN") {
        Ok(token) if !token.is_empty() => {
            let token =
                AccessToken::new(token.trim()).map_err(|e| format!("FLAT_ACCESS_TOKEN: {e}"))?;
            let mut builder = Client::builder(token);
            if let Ok(url) = std::env::var("FLAT_API_URL") {
                builder = builder.base_url(url);
            }
            let client = builder.build().map_err(|e| format!("FLAT_API_URL: {e}"))?;
            say!("Reporting on the organization at {}.", client.api().base())?;
            client
        }
        _ => {
            let server = FakeServer::start();
            server.seed(FAKE_USERS, FAKE_INVITATIONS, FAKE_LTI_CREDENTIALS);
            say!(
                "FLAT_ACCESS_TOKEN is not set: using a local fake organization at {} \
                 ({FAKE_USERS} users, {FAKE_INVITATIONS} invitations, \
                 {FAKE_LTI_CREDENTIALS} LTI credentials), not the Flat API.",
                server.base_url()
            )?;
            if std::env::var_os("FLAT_API_URL").is_some() {
                say!("FLAT_API_URL is ignored without FLAT_ACCESS_TOKEN.")?;
            }
            let token = AccessToken::new(server.token()).map_err(|e| e.to_string())?;
            let client = Client::builder(token)
                .base_url(server.base_url())
                .build()
                .map_err(|e| e.to_string())?;
            fake = Some(server);
            client
        }
    };

    let started = Instant::now();
    let users = report_users(&client)?;
    let invitations = report_invitations(&client)?;
    let lti_credentials = report_lti_credentials(&client)?;
    say!("Listed in {:.2} s.", started.elapsed().as_secs_f64())?;
    say!()?;
    say!("users: {users}")?;
    say!("invitations: {invitations}")?;
    say!("lti credentials: {lti_credentials}")?;
    drop(fake);
    Ok(())
}

fn report_users(client: &Client) -> Result<usize, Stop> {
    let mut items = client
        .items(&ListUsers::new().limit(1000))
        .map_err(|e| e.to_string())?;
    let mut by_role = BTreeMap::new();
    let mut count = 0;
    let mut test_accounts = 0;
    let mut without_license = 0;
    for user in items.by_ref() {
        let user = user.map_err(|e| listing_failed("users", &e))?;
        count += 1;
        let role = user
            .organization_role
            .as_ref()
            .map_or("(none)".to_owned(), ToString::to_string);
        *by_role.entry(role).or_insert(0_usize) += 1;
        test_accounts += usize::from(user.is_edu_testing_student == Some(true));
        let licensed = user
            .license
            .as_ref()
            .is_some_and(|l| l.active == Some(true));
        without_license += usize::from(!licensed);
    }
    say!("Users: {count} in {}", pages(items.pages()))?;
    for (role, n) in &by_role {
        say!("  {:<14} {n:>7}", one_line(role))?;
    }
    say!("  test student accounts: {test_accounts}")?;
    say!("  without an active license: {without_license}")?;
    Ok(count)
}

fn report_invitations(client: &Client) -> Result<usize, Stop> {
    let mut items = client
        .items(&ListInvitations::new().limit(1000))
        .map_err(|e| e.to_string())?;
    let mut by_role = BTreeMap::new();
    let mut unused = 0;
    let mut count = 0;
    for invitation in items.by_ref() {
        let invitation = invitation.map_err(|e| listing_failed("invitations", &e))?;
        count += 1;
        *by_role
            .entry(invitation.organization_role.to_string())
            .or_insert(0_usize) += 1;
        unused += usize::from(invitation.used_by.is_empty());
    }
    say!(
        "Invitations: {count} in {} ({unused} not used yet)",
        pages(items.pages())
    )?;
    for (role, n) in &by_role {
        say!("  {:<14} {n:>7}", one_line(role))?;
    }
    Ok(count)
}

fn report_lti_credentials(client: &Client) -> Result<usize, Stop> {
    let mut by_lms = BTreeMap::new();
    let mut count = 0;
    let items = client
        .items(&ListLtiCredentials::new())
        .map_err(|e| e.to_string())?;
    for credentials in items {
        let credentials = credentials.map_err(|e| listing_failed("LTI credentials", &e))?;
        count += 1;
        let lms = credentials
            .lms
            .as_ref()
            .map_or("(none)".to_owned(), ToString::to_string);
        *by_lms.entry(lms).or_insert(0_usize) += 1;
    }
    say!("LTI credentials: {count}")?;
    for (lms, n) in &by_lms {
        say!("  {:<14} {n:>7}", one_line(lms))?;
    }
    Ok(count)
}

fn pages(n: usize) -> String {
    if n == 1 {
        "1 page".to_owned()
    } else {
        format!("{n} pages")
    }
}

fn listing_failed(what: &str, error: &Error) -> String {
    format!("listing {what} failed: {error}")
}

/// Escapes control characters, so that text from the server (error
/// messages, role names) prints as one line and cannot move the cursor.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
