//! The `runner` binary: everything lives in the library; this only hands over the arguments and
//! turns the outcome into the process's exit code.

// Requests, payloads and events are many small allocations made and freed per request: mimalloc
// serves them from thread-local pages, where glibc's malloc spends a tenth of a run's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    runner::run(std::env::args_os())
}
