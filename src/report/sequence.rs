//! Keeps a run's output in input order while files run in parallel: the first unfinished file
//! is shown live, the events of the files after it wait until their turn (their payloads on
//! disk past a small bound). With one job every file is shown live. One path for every mode.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::present::Presenter;
use super::progress;
use super::waiting::Waiting;
use crate::exec::{Event, Unwritable};

/// The presenter and the events that wait for it.
#[derive(Debug)]
pub struct Sequencer {
    presenter: Presenter,
    /// The file shown live.
    head: usize,
    /// Per file, events that wait for the file's turn.
    waiting: Vec<Waiting>,
    ended: Vec<bool>,
    /// Set when results can no longer be written: no further request is sent.
    stop: Arc<AtomicBool>,
    /// The run is over (interrupted): what still comes is dropped.
    over: bool,
}

/// The sequencer as the suites' tasks share it.
pub type Shared = Arc<Mutex<Sequencer>>;

impl Sequencer {
    pub fn new(presenter: Presenter, stop: Arc<AtomicBool>) -> Shared {
        let files = presenter.results.len();
        Arc::new(Mutex::new(Self {
            presenter,
            head: 0,
            waiting: (0..files).map(|_| Waiting::default()).collect(),
            ended: vec![false; files],
            stop,
            over: false,
        }))
    }

    /// Locks a shared sequencer; a panic elsewhere while it was held leaves it usable.
    pub fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Self> {
        shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An event of file `file`: shown now when it is that file's turn, else kept for it.
    pub fn emit(&mut self, file: usize, event: Event) -> Result<(), Unwritable> {
        if self.over {
            return Err(Unwritable("the run is over".to_owned()));
        }
        if matches!(event, Event::RequestFinished(_)) {
            progress::tick();
        }
        if file == self.head {
            return self.show(file, event);
        }
        if let Some(waiting) = self.waiting.get_mut(file) {
            waiting.push(event);
        }
        Ok(())
    }

    /// File `file` has ended (its task returned, or panicked with `panic`): the next files get
    /// their turn. Files end in input order.
    pub fn end(&mut self, file: usize, panic: Option<&str>) {
        if let Some(message) = panic {
            self.presenter.internal_error(file, message);
        }
        if let Some(ended) = self.ended.get_mut(file) {
            *ended = true;
        }
        while self.ended.get(self.head).copied().unwrap_or(false) {
            self.head += 1;
            self.replay(self.head, usize::MAX);
        }
    }

    /// The run was interrupted: what the files still waiting finished is shown, up to each
    /// one's last finished request; what was in flight is dropped.
    pub fn interrupt(&mut self) {
        for file in self.head..self.waiting.len() {
            let last = self.waiting.get(file).map_or(0, Waiting::finished_prefix);
            self.replay(file, last);
        }
    }

    /// Shows up to `count` waiting events of `file`. A failed write stops the run.
    fn replay(&mut self, file: usize, count: usize) {
        let Some(waiting) = self.waiting.get_mut(file) else {
            return;
        };
        // One event at a time: chunks come back from disk as they are shown.
        let mut waiting = std::mem::take(waiting);
        for event in waiting.drain(count) {
            let _ = self.show(file, event);
        }
    }

    fn show(&mut self, file: usize, event: Event) -> Result<(), Unwritable> {
        let shown = self.presenter.handle(file, event);
        if shown.is_err() {
            self.stop.store(true, Ordering::Relaxed);
        }
        shown
    }

    /// The presenter with the run's results, once the run is over.
    pub fn take_presenter(&mut self) -> Presenter {
        self.over = true;
        std::mem::replace(
            &mut self.presenter,
            Presenter::new(crate::exec::OutputMode::None, Vec::new(), false),
        )
    }
}
