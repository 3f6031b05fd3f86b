//! The commands of the command line, each over the stages below: they load, build, run and
//! report, and turn the outcome into an exit code.

pub mod check;
pub mod demo;
pub mod probe;
pub mod report;
pub mod run;
pub mod serve;
mod workers;
