//! Test support for flat-org: a fake Flat Organization API server that the
//! integration suites and the `flat-org-report` program run against.

pub mod fake;
