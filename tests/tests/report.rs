//! The report program, run as a user runs it.

use std::process::{Command, Output};

use flat_org_tests::fake::FakeServer;

fn report(env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flat-org-report"));
    command
        .env_remove("FLAT_ACCESS_TOKEN")
        .env_remove("FLAT_API_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the report program runs")
}

fn last_lines(output: &Output, n: usize) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

#[test]
fn report_against_configured_server() {
    let server = FakeServer::start();
    server.seed(1234, 56, 7);
    let base_url = server.base_url();
    let output = report(&[
        ("FLAT_ACCESS_TOKEN", server.token()),
        ("FLAT_API_URL", &base_url),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        last_lines(&output, 3),
        ["users: 1234", "invitations: 56", "lti credentials: 7"]
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("fake organization"), "{stdout}");
    // 1234 users at 1000 a page, 56 invitations at 1000, one credentials list.
    assert_eq!(server.request_count(), 4);
}

#[test]
fn report_without_token_uses_fake() {
    let output = report(&[]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("FLAT_ACCESS_TOKEN is not set: using a local fake organization"));
    assert_eq!(
        last_lines(&output, 3),
        ["users: 3000", "invitations: 40", "lti credentials: 3"]
    );
}

#[test]
fn report_with_wrong_token_fails_cleanly() {
    let server = FakeServer::start();
    let base_url = server.base_url();
    let output = report(&[
        ("FLAT_ACCESS_TOKEN", "wrong-token-value"),
        ("FLAT_API_URL", &base_url),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("wrong-token-value"), "{stderr}");
}

#[test]
fn report_with_invalid_url_names_variable() {
    let output = report(&[
        ("FLAT_ACCESS_TOKEN", "t"),
        ("FLAT_API_URL", "api.flat.io/v2"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FLAT_API_URL"), "{stderr}");
    assert!(stderr.contains("invalid base URL"), "{stderr}");
}

#[test]
fn report_error_stays_one_line() {
    let body = r#"{"code":"E","message":"line one\nerror: forged\r\n\u001b[2J"}"#;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v2", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = [0; 4096];
        let _ = stream.read(&mut head).unwrap();
        let response = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
    });
    let output = report(&[("FLAT_ACCESS_TOKEN", "t"), ("FLAT_API_URL", &base_url)]);
    server.join().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.contains("line one\\nerror: forged"), "{stderr}");
}

#[test]
fn report_blank_token_is_error() {
    let output = report(&[("FLAT_ACCESS_TOKEN", "   ")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("FLAT_ACCESS_TOKEN: invalid access token"),
        "{stderr}"
    );
}

#[test]
fn report_survives_closed_stdout() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_flat-org-report"))
        .env_remove("FLAT_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing the read end makes every write fail with a broken pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
