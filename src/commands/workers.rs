//! The threads that run suite files for `runner run`: one per core (at most `--jobs`), each
//! with a current-thread runtime of its own, so a file's requests pay for no cross-thread
//! wake-ups. `--jobs N` files run at a time, spread over the threads; each takes the next file
//! in input order. A file whose run panics is reported as ended with the panic's words, never
//! lost.

use std::collections::VecDeque;
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

/// Runs `jobs` files at a time over the files, on as many threads as there are cores (at most
/// `jobs`); each file's end (and its panic, if it panicked) is sent to `ended` with its index.
pub fn start(
    ready: Vec<Ready>,
    settings: Settings,
    jobs: usize,
    sequencer: &Shared,
    stop: &Arc<AtomicBool>,
    ended: UnboundedSender<(usize, Option<String>)>,
) -> Result<Workers, Error> {
    let queue: Queue = Arc::new(Mutex::new(ready.into_iter().enumerate().collect()));
    let settings = Arc::new(settings);
    let jobs = jobs.max(1);
    // One file at a time needs one thread: no need to read the cgroup's CPU quota to know.
    let threads = match jobs {
        1 => 1,
        _ => std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .clamp(1, jobs),
    };
    let mut workers = Vec::new();
    for number in 0..threads {
        // `jobs` spread over the threads: 8 on 2 cores is 4 files at a time on each.
        let slots = jobs / threads + usize::from(number < jobs % threads);
        let shared = Slot {
            queue: Arc::clone(&queue),
            settings: Arc::clone(&settings),
            sequencer: Arc::clone(sequencer),
            stop: Arc::clone(stop),
            ended: ended.clone(),
        };
        let worker = std::thread::Builder::new()
            .name(format!("runner-{number}"))
            .spawn(move || work(&shared, slots))
            .map_err(Error::Runtime)?;
        workers.push(worker);
    }
    Ok(Workers(workers))
}

/// The files still to run, in input order, with their index.
type Queue = Arc<Mutex<VecDeque<(usize, Ready)>>>;

/// What each file slot of a worker shares.
#[derive(Clone)]
struct Slot {
    queue: Queue,
    settings: Arc<Settings>,
    sequencer: Shared,
    stop: Arc<AtomicBool>,
    ended: UnboundedSender<(usize, Option<String>)>,
}

impl Slot {
    fn next(&self) -> Option<(usize, Ready)> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

/// One worker thread: `slots` files at a time on one current-thread runtime, so that while
/// one file waits for its server, another's request goes on without a thread switch.
fn work(shared: &Slot, slots: usize) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            while let Some((index, _)) = shared.next() {
                let _ = shared
                    .ended
                    .send((index, Some(format!("cannot start a runtime: {error}"))));
            }
            return;
        }
    };
    // The files run as tasks of the runtime, not inside `block_on`'s future (a `LocalSet`):
    // hyper spawns each connection as a task, and a task waking `block_on`'s future makes the
    // runtime poll epoll once more, without waiting, before it polls that future: a system
    // call a request.
    runtime.block_on(async {
        let slots: Vec<_> = (0..slots)
            .map(|_| tokio::spawn(run_files(shared.clone())))
            .collect();
        for slot in slots {
            let _ = slot.await;
        }
    });
}

/// Runs the next file until none is left.
async fn run_files(shared: Slot) {
    while let Some((index, suite)) = shared.next() {
        let mut sink = FileSink::new(index, Arc::clone(&shared.sequencer));
        let (settings, stop) = (Arc::clone(&shared.settings), Arc::clone(&shared.stop));
        let panic = contained(async move {
            exec::run_suite(&suite.loaded, &suite.clients, &settings, &mut sink, &stop).await;
        })
        .await;
        // The main thread may be gone after an interruption: nobody listens any more.
        let _ = shared.ended.send((index, panic));
    }
}

/// Runs a file as a task of its own: a panic ends that file only, and is said in its words.
async fn contained(run: impl Future<Output = ()> + Send + 'static) -> Option<String> {
    let ended = tokio::spawn(run).await;
    ended.err().map(|error| match error.try_into_panic() {
        Ok(payload) => panic_message(payload.as_ref()),
        // Not reached today: nothing aborts the task, and a runtime shutting down drops this
        // future with it. Should that change, the file's end still says it did not complete.
        Err(error) => format!("its run was cancelled: {error}"),
    })
}

/// What a panic said.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's panic is caught on the worker's runtime, which runs the next file as before.
    #[test]
    fn a_panicking_file_is_said_and_the_next_one_runs() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let ends = runtime.block_on(async {
            let first = contained(async { panic!("the file broke") }).await;
            let second = contained(async {}).await;
            let formatted = contained(async { panic!("request {} of {}", 3, 7) }).await;
            (first, second, formatted)
        });
        assert_eq!(
            ends,
            (
                Some("the file broke".to_owned()),
                None,
                Some("request 3 of 7".to_owned())
            )
        );
    }
}
