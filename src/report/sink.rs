//! A suite file's listener: writes the bodies that go to `output` files itself, as they come
//! (a file's bytes never wait in memory), and hands every other event to the sequencer. An
//! `output` file is written under a temporary name and renamed when its body is whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::sequence::{Sequencer, Shared};
use crate::exec::{Destination, Event, Finished, Listener, Unwritable, Verdict};
use crate::words::io_reason;

/// Bytes gathered before a write to an `output` file: few large writes, not many small ones.
const WRITE_BUFFER: usize = 256 << 10;

/// An `output` file being written.
#[derive(Debug)]
struct OutputFile {
    /// Where the bytes go first: a temporary file beside `path`, or `path` itself when it is a
    /// device or a pipe, which a rename would replace.
    temporary: PathBuf,
    path: PathBuf,
    shown: String,
    writer: BufWriter<File>,
}

/// The listener of one suite file.
#[derive(Debug)]
pub struct FileSink {
    file: usize,
    sequencer: Shared,
    output: Option<OutputFile>,
}

impl FileSink {
    pub fn new(file: usize, sequencer: Shared) -> Self {
        Self {
            file,
            sequencer,
            output: None,
        }
    }

    fn open(&mut self, path: &Path, shown: &str) -> Result<(), Unwritable> {
        self.discard();
        let temporary = if in_place(path) {
            path.to_owned()
        } else {
            temporary_name(path)
        };
        let writer = File::create(&temporary)
            .map(|file| BufWriter::with_capacity(WRITE_BUFFER, file))
            .map_err(|e| cannot_write(shown, &e))?;
        self.output = Some(OutputFile {
            temporary,
            path: path.to_owned(),
            shown: shown.to_owned(),
            writer,
        });
        Ok(())
    }

    /// The body is whole: the file takes its name. A body that broke off leaves no file.
    fn commit(&mut self, finished: &Finished) -> Result<(), Unwritable> {
        let Some(mut output) = self.output.take() else {
            return Ok(());
        };
        let whole = finished.report.status.is_some() && finished.report.error.is_none();
        let flushed = output.writer.flush();
        if output.temporary == output.path {
            return flushed.map_err(|e| cannot_write(&output.shown, &e));
        }
        if !whole {
            let _ = std::fs::remove_file(&output.temporary);
            return Ok(());
        }
        flushed
            .and_then(|()| std::fs::rename(&output.temporary, &output.path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&output.temporary);
                cannot_write(&output.shown, &e)
            })
    }

    /// A request finished: its `output` file is committed, and the outcome handed on, marked
    /// unwritten when the file could not be.
    fn finish(&mut self, event: Event) -> Result<(), Unwritable> {
        let Event::RequestFinished(mut finished) = event else {
            return Sequencer::lock(&self.sequencer).emit(self.file, event);
        };
        let committed = self.commit(&finished);
        if let Err(unwritable) = &committed {
            finished.verdict = finished.verdict.max(Verdict::Unwritten);
            finished.report.error = Some(unwritable.0.clone());
        }
        let shown =
            Sequencer::lock(&self.sequencer).emit(self.file, Event::RequestFinished(finished));
        committed.and(shown)
    }

    fn discard(&mut self) {
        if let Some(output) = self.output.take() {
            drop(output.writer);
            if output.temporary != output.path {
                let _ = std::fs::remove_file(&output.temporary);
            }
        }
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        self.discard();
    }
}

impl Listener for FileSink {
    fn event(&mut self, event: Event) -> Result<(), Unwritable> {
        match &event {
            Event::AttemptStarted { .. } => self.discard(),
            Event::BodyStarted {
                to: Some(Destination::File { path, shown }),
                ..
            } => self.open(path, shown)?,
            Event::Chunk(bytes) => {
                if let Some(output) = &mut self.output {
                    let shown = &output.shown;
                    return output
                        .writer
                        .write_all(bytes)
                        .map_err(|e| cannot_write(shown, &e));
                }
            }
            Event::RequestFinished(_) => return self.finish(event),
            _ => {}
        }
        Sequencer::lock(&self.sequencer).emit(self.file, event)
    }
}

fn cannot_write(shown: &str, error: &std::io::Error) -> Unwritable {
    Unwritable(format!("cannot write {shown}: {}", io_reason(error)))
}

/// Whether `path` is written where it is: it exists and is not a regular file (a device such as
/// /dev/null, a pipe), so there is nothing to replace atomically.
pub fn in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A name beside `path` for writing it: the same folder, so the rename stays on one disk.
pub fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.runner-{}.tmp", std::process::id()))
}
