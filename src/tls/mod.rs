//! The TLS builder: turns an endpoint's `secure_socket` into a rustls client configuration, with
//! the aws-lc-rs provider chosen explicitly. For now it owns the names of what the provider
//! offers, which the loader checks suites against.

mod names;

pub use names::{cipher_by_name, cipher_name, is_tls13, supported_cipher_names};
