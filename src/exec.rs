//! The executor: runs a suite's requests in order, checks expectations and keeps captures.
