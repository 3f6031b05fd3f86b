//! The HTTP clients: one reqwest client per endpoint, built once from the TLS builder's
//! configuration. Comes with the executor.
