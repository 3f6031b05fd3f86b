//! The threads that run suite files for `runner run`: each takes the next file in input order
//! and runs it on a current-thread runtime of its own, so a file's requests pay for no
//! cross-thread wake-ups, and `--jobs N` files run on N threads. A file whose run panics is
//! reported as ended with the panic's words, never lost.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::UnboundedSender;

use crate::client::EndpointClient;
use crate::error::Error;
use crate::exec::{self, Settings};
use crate::load::Loaded;
use crate::report::sequence::Shared;
use crate::report::sink::FileSink;

/// A suite ready to run: loaded, with its endpoints' clients.
#[derive(Debug)]
pub struct Ready {
    pub loaded: Loaded,
    pub clients: Vec<EndpointClient>,
}

/// The running workers.
#[derive(Debug)]
pub struct Workers(Vec<std::thread::JoinHandle<()>>);

impl Workers {
    /// Waits for every worker to finish its last file.
    pub fn join(self) {
        for worker in self.0 {
            let _ = worker.join();
        }
    }
}

/// Starts `jobs` workers over the files; each file's end (and its panic, if it panicked) is
/// sent to `ended` with its index.
pub fn start(
    ready: Vec<Ready>,
    settings: Settings,
    jobs: usize,
    sequencer: &Shared,
    stop: &Arc<AtomicBool>,
    ended: UnboundedSender<(usize, Option<String>)>,
) -> Result<Workers, Error> {
    let queue: Arc<Mutex<VecDeque<(usize, Ready)>>> =
        Arc::new(Mutex::new(ready.into_iter().enumerate().collect()));
    let settings = Arc::new(settings);
    let mut workers = Vec::new();
    for number in 0..jobs {
        let (queue, settings, sequencer, stop, ended) = (
            Arc::clone(&queue),
            Arc::clone(&settings),
            Arc::clone(sequencer),
            Arc::clone(stop),
            ended.clone(),
        );
        let worker = std::thread::Builder::new()
            .name(format!("runner-{number}"))
            .spawn(move || work(&queue, &settings, &sequencer, &stop, &ended))
            .map_err(Error::Runtime)?;
        workers.push(worker);
    }
    Ok(Workers(workers))
}

fn work(
    queue: &Mutex<VecDeque<(usize, Ready)>>,
    settings: &Settings,
    sequencer: &Shared,
    stop: &AtomicBool,
    ended: &UnboundedSender<(usize, Option<String>)>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    loop {
        let next = queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let Some((index, suite)) = next else {
            return;
        };
        let panic = match &runtime {
            Ok(runtime) => {
                let mut sink = FileSink::new(index, Arc::clone(sequencer));
                let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    runtime.block_on(exec::run_suite(
                        &suite.loaded,
                        &suite.clients,
                        settings,
                        &mut sink,
                        stop,
                    ))
                }));
                run.err().map(|payload| panic_message(payload.as_ref()))
            }
            Err(error) => Some(format!("cannot start a runtime: {error}")),
        };
        // The main thread may be gone after an interruption: nobody listens any more.
        let _ = ended.send((index, panic));
    }
}

/// What a panic said.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
