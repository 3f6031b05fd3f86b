//! Reporting: payloads on stdout, logs on stderr, JUnit and JSON reports.
