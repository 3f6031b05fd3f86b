//! The integration tests: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly where its set-up fails"
)]

mod check;

mod fuzz;
mod hostile;
mod interop;
mod layers;
mod limits;
mod outcomes;
mod pipelines;
mod pki;
mod probe;
mod recipes;
mod redirects;
mod run;
mod schema;
mod secrets;
mod server;
mod suites;
mod support;
mod tls;
mod tls_errors;
