//! Conformance with the official OpenAPI contract, checked by Stoplight
//! Prism, a validator written outside this project.
//!
//! Prism serves `tests/prism/organization.openapi.yaml` as a mock. With
//! `--errors` it rejects a request that breaks the contract with 422 (or
//! 400) and lists the violations in an `sl-violations` header. With
//! `--dynamic` each `--seed` generates different response bodies from the
//! schemas. The suite checks three things:
//!
//! - every request variant the client can build is valid;
//! - the models decode the responses of 200 seeds for every operation;
//! - input the client rejects locally never reaches Prism.
//!
//! The tests are ignored by default because they need Node.js and Prism:
//!
//! ```sh
//! npm ci --prefix tests/prism
//! cargo test -p flat-org-tests --test conformance -- --ignored --nocapture
//! ```
#![allow(
    clippy::print_stdout,
    reason = "the suite prints its per-operation counts"
)]

mod prism_process;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flat_org_blocking::ops::{
    CreateInvitation, CreateLtiCredentials, CreateUser, ListInvitations, ListLtiCredentials,
    ListUsers, RemoveInvitation, RemoveUser, RevokeLtiCredentials, SortDirection, TestAccounts,
    UpdateUser, UserSort,
};
use flat_org_blocking::{AccessToken, Client, ErrorKind, LmsName, OrganizationRole};
use flat_org_core::Operation;

use prism_process::Prism;

/// Seeds of the response-decoding run: one Prism process per seed.
const SEEDS: u64 = 200;

/// Prism processes started at the same time during the response run.
const WORKERS: usize = 3;

fn client_for(prism: &Prism) -> Client {
    Client::builder(AccessToken::new("conformance-token").expect("valid token"))
        .base_url(prism.base_url())
        .timeout_response(Duration::from_secs(30))
        .build()
        .expect("client for Prism")
}

/// Returns the contract's text, read once.
fn contract() -> &'static str {
    static CONTRACT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CONTRACT.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/prism/organization.openapi.yaml"
        );
        std::fs::read_to_string(path).expect("the contract is committed beside the suite")
    })
}

/// Returns the query parameters and top-level body fields of a request that
/// the contract does not declare. Prism ignores unknown names, so a
/// misspelled optional parameter would otherwise pass unnoticed.
fn undeclared(request: &flat_org_core::http::Request<Vec<u8>>) -> Vec<String> {
    let lines: Vec<&str> = contract().lines().map(str::trim).collect();
    let mut names = Vec::new();
    if let Some(query) = request.uri().query() {
        for (name, _) in flat_org_core::url::form_urlencoded::parse(query.as_bytes()) {
            let declared = format!("name: {name}");
            if !lines
                .iter()
                .any(|line| line.trim_start_matches("- ") == declared)
            {
                names.push(format!("query parameter {name}"));
            }
        }
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(request.body()) {
        for name in fields.keys() {
            let declared = format!("{name}:");
            if !lines
                .iter()
                .any(|line| line.trim_start_matches("- ") == declared)
            {
                names.push(format!("body field {name}"));
            }
        }
    }
    names
}

/// Sends one operation and returns its decoded output, or why it does not
/// conform: a non-2xx status, an `sl-violations` header, or a body the
/// models cannot decode (with the body, to pin the case in a unit test).
fn exchange<O: Operation>(client: &Client, operation: &O) -> Result<O::Output, (String, Vec<u8>)> {
    let request = client
        .api()
        .request(operation)
        .map_err(|e| (format!("request not built: {e}"), Vec::new()))?;
    let target = request.uri().to_string();
    let unknown = undeclared(&request);
    if !unknown.is_empty() {
        return Err((
            format!("{target}: not in the contract: {unknown:?}"),
            Vec::new(),
        ));
    }
    let response = client
        .send(request)
        .map_err(|e| (format!("{target}: {e}"), Vec::new()))?;
    if let Some(violations) = response.headers().get("sl-violations") {
        let text = String::from_utf8_lossy(violations.as_bytes()).into_owned();
        return Err((format!("{target}: sl-violations {text}"), Vec::new()));
    }
    if !response.status().is_success() {
        let body = response.body().clone();
        return Err((format!("{target}: status {}", response.status()), body));
    }
    client
        .api()
        .decode(operation, &response)
        .map_err(|e| (format!("{target}: {e}"), response.body().clone()))
}

/// Counts per operation, printed as a table.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn record<O: Operation + std::fmt::Debug>(&mut self, client: &Client, operation: &O) {
        *self.counts.entry(O::OPERATION_ID).or_default() += 1;
        if let Err((reason, _)) = exchange(client, operation) {
            self.failures
                .push(format!("{}: {reason} ({operation:?})", O::OPERATION_ID));
        }
    }
}

fn long(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

const ROLES: [OrganizationRole; 4] = [
    OrganizationRole::User,
    OrganizationRole::Teacher,
    OrganizationRole::Admin,
    OrganizationRole::AccountAdmin,
];

/// Identifiers that need percent-encoding in a path segment.
const ODD_IDS: [&str; 7] = [
    "5e1f00000000000000000001",
    "a/b",
    "with space",
    "q?x#y",
    "100%",
    "ünïcödé",
    "..a",
];

fn list_users_variants() -> Vec<ListUsers> {
    let mut variants = vec![
        ListUsers::new(),
        ListUsers::new().limit(1),
        ListUsers::new().limit(1000),
        ListUsers::new().next("c+/=="),
        ListUsers::new().previous("p/1="),
        ListUsers::new().query("ada lovelace & co"),
        ListUsers::new().query("élève"),
        ListUsers::new().group("5e1000000000000000000001"),
        ListUsers::new().group("g1").group("g2"),
        ListUsers::new().no_active_license(true),
        ListUsers::new().no_active_license(false),
        ListUsers::new().test_accounts(TestAccounts::Exclude),
        ListUsers::new().test_accounts(TestAccounts::Only),
        ListUsers::new().direction(SortDirection::Ascending),
        ListUsers::new().direction(SortDirection::Descending),
        ROLES
            .iter()
            .fold(ListUsers::new(), |list, role| list.role(role.clone())),
        ListUsers::new()
            .role(OrganizationRole::Teacher)
            .role(OrganizationRole::Admin)
            .limit(50)
            .next("abc")
            .query("x")
            .group("g")
            .sort(UserSort::Lastname)
            .direction(SortDirection::Descending)
            .no_active_license(true)
            .test_accounts(TestAccounts::Exclude),
    ];
    variants.extend(ROLES.iter().map(|role| ListUsers::new().role(role.clone())));
    variants.extend(
        [
            UserSort::Firstname,
            UserSort::Lastname,
            UserSort::LastActivityDate,
            UserSort::LicenseExpirationDate,
        ]
        .map(|sort| ListUsers::new().sort(sort)),
    );
    variants
}

fn create_user_variants() -> Vec<CreateUser> {
    let mut variants = vec![
        CreateUser::new("a", "123456"),
        CreateUser::new(long('u', 30), long('p', 1000)),
        CreateUser::new("ada.l", "correct horse")
            .email("ada@school.example")
            .firstname(long('é', 60))
            .lastname("Lovelace")
            .locale("fr"),
        CreateUser::new("ünï", "pässwörd")
            .firstname("")
            .lastname(""),
    ];
    variants.extend(
        ROLES
            .iter()
            .map(|role| CreateUser::new("r", "secret-6").role(role.clone())),
    );
    variants
}

fn update_user_variants() -> Vec<UpdateUser> {
    let mut variants: Vec<UpdateUser> = ODD_IDS.iter().map(|id| UpdateUser::new(*id)).collect();
    variants.extend([
        UpdateUser::new("u1").email("new@school.example"),
        UpdateUser::new("u1").firstname(long('f', 60)),
        UpdateUser::new("u1").lastname("King"),
        UpdateUser::new("u1").password("new-secret"),
        UpdateUser::new("u1").username(long('n', 30)),
        UpdateUser::new("u/1")
            .email("all@school.example")
            .firstname("A")
            .lastname("B")
            .organization_role(OrganizationRole::Teacher)
            .password("123456")
            .username("ab"),
    ]);
    variants.extend(
        ROLES
            .iter()
            .map(|role| UpdateUser::new("u1").organization_role(role.clone())),
    );
    variants
}

fn remove_user_variants() -> Vec<RemoveUser> {
    let mut variants: Vec<RemoveUser> = ODD_IDS.iter().map(|id| RemoveUser::new(*id)).collect();
    variants.push(RemoveUser::new("u1").convert_to_individual(true));
    variants.push(RemoveUser::new("u 1").convert_to_individual(false));
    variants
}

fn list_invitations_variants() -> Vec<ListInvitations> {
    let mut variants = vec![
        ListInvitations::new(),
        ListInvitations::new().limit(1),
        ListInvitations::new().limit(1000),
        ListInvitations::new().next("c+/=="),
        ListInvitations::new().previous("p/1="),
        ListInvitations::new()
            .role(OrganizationRole::Admin)
            .limit(10)
            .next("n"),
    ];
    variants.extend(
        [
            OrganizationRole::User,
            OrganizationRole::Teacher,
            OrganizationRole::Admin,
        ]
        .map(|role| ListInvitations::new().role(role)),
    );
    variants
}

fn create_invitation_variants() -> Vec<CreateInvitation> {
    let mut variants = vec![
        CreateInvitation::new(),
        CreateInvitation::new().email("teacher@school.example"),
    ];
    variants.extend(
        [
            OrganizationRole::Admin,
            OrganizationRole::Teacher,
            OrganizationRole::AccountAdmin,
        ]
        .map(|role| {
            CreateInvitation::new()
                .email("staff@school.example")
                .organization_role(role)
        }),
    );
    variants.push(CreateInvitation::new().organization_role(OrganizationRole::Teacher));
    variants
}

fn create_lti_variants() -> Vec<CreateLtiCredentials> {
    let mut variants: Vec<CreateLtiCredentials> = [
        LmsName::Canvas,
        LmsName::Moodle,
        LmsName::Schoology,
        LmsName::Blackboard,
        LmsName::Desire2learn,
        LmsName::Sakai,
        LmsName::Schoolbox,
        LmsName::Other,
    ]
    .into_iter()
    .map(|lms| CreateLtiCredentials::new("District LMS", lms))
    .collect();
    variants.push(CreateLtiCredentials::new(long('n', 300), LmsName::Canvas));
    variants.push(CreateLtiCredentials::new("École, «LMS»", LmsName::Moodle));
    variants
}

#[test]
#[ignore = "needs Prism: run `npm ci --prefix tests/prism` first"]
fn requests_conform_to_contract() {
    let prism = Prism::start(1);
    let client = client_for(&prism);
    let mut tally = Tally::default();

    for operation in list_users_variants() {
        tally.record(&client, &operation);
    }
    for operation in create_user_variants() {
        tally.record(&client, &operation);
    }
    for operation in update_user_variants() {
        tally.record(&client, &operation);
    }
    for operation in remove_user_variants() {
        tally.record(&client, &operation);
    }
    for operation in list_invitations_variants() {
        tally.record(&client, &operation);
    }
    for operation in create_invitation_variants() {
        tally.record(&client, &operation);
    }
    for id in ODD_IDS {
        tally.record(&client, &RemoveInvitation::new(id));
    }
    tally.record(&client, &ListLtiCredentials::new());
    for operation in create_lti_variants() {
        tally.record(&client, &operation);
    }
    for id in ODD_IDS {
        tally.record(&client, &RevokeLtiCredentials::new(id));
    }

    let mut table = String::from("\nrequests validated by Prism, per operation:\n");
    for (operation, count) in &tally.counts {
        let _ = writeln!(table, "  {operation:<30} {count:>4}");
    }
    println!("{table}");
    assert_eq!(tally.counts.len(), 10, "every operation is exercised");
    assert!(
        tally.failures.is_empty(),
        "{} requests broke the contract:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    // The harness itself must flag names the contract does not declare.
    let misspelled = flat_org_core::http::Request::builder()
        .uri("http://127.0.0.1/organizations/users?limt=5")
        .body(br#"{"frstname":"Ada"}"#.to_vec())
        .expect("valid request");
    assert_eq!(
        undeclared(&misspelled),
        ["query parameter limt", "body field frstname"]
    );

    // The harness itself must flag a request that breaks the contract.
    let bogus = ListUsers::new().role(OrganizationRole::Unknown("bogus".to_owned()));
    let flagged = exchange(&client, &bogus).expect_err("Prism flags an unknown role");
    assert!(flagged.0.contains("sl-violations"), "{}", flagged.0);

    let sent = tally.counts.values().sum::<usize>() + 1;
    prism.wait_for_requests(sent);
    assert_eq!(prism.requests_seen(), sent);
}

/// What one seed produced: the items decoded from the three listings, and
/// the operations whose response did not decode, with the reason and body.
#[derive(Default)]
struct SeedOutcome {
    items: usize,
    failures: Vec<(&'static str, String, Vec<u8>)>,
}

impl SeedOutcome {
    fn check<T>(&mut self, id: &'static str, result: Result<T, (String, Vec<u8>)>) {
        if let Err((reason, body)) = result {
            self.failures.push((id, reason, body));
        }
    }

    fn check_page<T>(
        &mut self,
        id: &'static str,
        result: Result<flat_org_core::Page<T>, (String, Vec<u8>)>,
    ) {
        if let Ok(page) = &result {
            self.items += page.items().len();
        }
        self.check(id, result);
    }
}

/// Sends one request per operation to a Prism started with `seed`.
fn decode_one_seed(seed: u64) -> SeedOutcome {
    let prism = Prism::start(seed);
    let client = client_for(&prism);
    let mut outcome = SeedOutcome::default();
    outcome.check_page(
        ListUsers::OPERATION_ID,
        exchange(&client, &ListUsers::new().limit(100)),
    );
    outcome.check(
        CreateUser::OPERATION_ID,
        exchange(&client, &CreateUser::new("ada", "secret-6")),
    );
    outcome.check(
        UpdateUser::OPERATION_ID,
        exchange(&client, &UpdateUser::new("u1").lastname("L")),
    );
    outcome.check(
        RemoveUser::OPERATION_ID,
        exchange(&client, &RemoveUser::new("u1")),
    );
    outcome.check_page(
        ListInvitations::OPERATION_ID,
        exchange(&client, &ListInvitations::new()),
    );
    outcome.check(
        CreateInvitation::OPERATION_ID,
        exchange(&client, &CreateInvitation::new().email("t@school.example")),
    );
    outcome.check(
        RemoveInvitation::OPERATION_ID,
        exchange(&client, &RemoveInvitation::new("i1")),
    );
    outcome.check_page(
        ListLtiCredentials::OPERATION_ID,
        exchange(&client, &ListLtiCredentials::new()),
    );
    outcome.check(
        CreateLtiCredentials::OPERATION_ID,
        exchange(&client, &CreateLtiCredentials::new("c", LmsName::Canvas)),
    );
    outcome.check(
        RevokeLtiCredentials::OPERATION_ID,
        exchange(&client, &RevokeLtiCredentials::new("c1")),
    );
    prism.wait_for_requests(10);
    assert_eq!(prism.requests_seen(), 10, "seed {seed}");
    outcome
}

#[test]
#[ignore = "needs Prism: run `npm ci --prefix tests/prism` first"]
fn responses_decode_for_200_seeds() {
    let next_seed = Arc::new(AtomicU64::new(1));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let items = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (next_seed, failures, items) = (next_seed.clone(), failures.clone(), items.clone());
            std::thread::spawn(move || {
                loop {
                    let seed = next_seed.fetch_add(1, Ordering::SeqCst);
                    if seed > SEEDS {
                        break;
                    }
                    let outcome = decode_one_seed(seed);
                    items.fetch_add(outcome.items as u64, Ordering::SeqCst);
                    for (operation, reason, body) in outcome.failures {
                        failures
                            .lock()
                            .expect("failure list")
                            .push((operation, seed, reason, body));
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a seed worker panicked");
    }

    let failures = failures.lock().expect("failure list");
    let operations = [
        ListUsers::OPERATION_ID,
        CreateUser::OPERATION_ID,
        UpdateUser::OPERATION_ID,
        RemoveUser::OPERATION_ID,
        ListInvitations::OPERATION_ID,
        CreateInvitation::OPERATION_ID,
        RemoveInvitation::OPERATION_ID,
        ListLtiCredentials::OPERATION_ID,
        CreateLtiCredentials::OPERATION_ID,
        RevokeLtiCredentials::OPERATION_ID,
    ];
    let mut table = format!("\nresponses decoded over seeds 1..={SEEDS}, per operation:\n");
    for operation in operations {
        let failed = failures.iter().filter(|f| f.0 == operation).count();
        let decoded = SEEDS as usize - failed;
        let _ = writeln!(table, "  {operation:<30} {decoded:>4} of {SEEDS}");
    }
    let items = items.load(Ordering::SeqCst);
    let _ = writeln!(table, "  items in the decoded list pages: {items}");
    println!("{table}");
    assert!(items > 0, "Prism generated no list items to decode");

    let mut report = String::new();
    for (operation, seed, reason, body) in failures.iter() {
        let _ = writeln!(
            report,
            "{operation} seed {seed}: {reason}\n  body: {}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(
        failures.is_empty(),
        "{} responses did not decode:\n{report}",
        failures.len()
    );
}

#[test]
#[ignore = "needs Prism: run `npm ci --prefix tests/prism` first"]
fn invalid_input_never_reaches_prism() {
    let prism = Prism::start(7);
    let client = client_for(&prism);
    exchange(&client, &ListUsers::new()).expect("a valid request conforms");
    prism.wait_for_requests(1);

    let rejected = [
        client.list_users(&ListUsers::new().limit(0)).unwrap_err(),
        client
            .list_users(&ListUsers::new().limit(1001))
            .unwrap_err(),
        client
            .list_invitations(&ListInvitations::new().limit(0))
            .unwrap_err(),
        client
            .list_invitations(&ListInvitations::new().limit(1001))
            .unwrap_err(),
        client.list_users(&ListUsers::new().next("")).unwrap_err(),
        client
            .create_user(&CreateUser::new("", "secret-6"))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new(long('u', 31), "secret-6"))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new("ada", "12345"))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new("ada", long('p', 1001)))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new("ada", "secret-6").firstname(long('f', 61)))
            .unwrap_err(),
        client
            .update_user(&UpdateUser::new("u1").lastname(long('l', 61)))
            .unwrap_err(),
        client
            .update_user(&UpdateUser::new("u1").username(""))
            .unwrap_err(),
        client
            .create_lti_credentials(&CreateLtiCredentials::new(long('n', 301), LmsName::Canvas))
            .unwrap_err(),
        client
            .create_invitation(&CreateInvitation::new().organization_role(OrganizationRole::User))
            .unwrap_err(),
        client.remove_user(&RemoveUser::new("..")).unwrap_err(),
        client
            .remove_invitation(&RemoveInvitation::new(""))
            .unwrap_err(),
    ];
    for err in &rejected {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }

    // A valid request after the rejected ones: once Prism has logged it,
    // any request sent before it would have been logged too.
    exchange(&client, &ListLtiCredentials::new()).expect("a valid request conforms");
    prism.wait_for_requests(2);
    assert_eq!(prism.requests_seen(), 2);
    println!(
        "\n{} invalid inputs rejected by the client; Prism saw none of them",
        rejected.len()
    );
}
