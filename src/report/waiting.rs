//! The events of a file that waits for its turn while files run in parallel. Payload bytes
//! beyond a small bound go to a temporary file, so a large body of a later file costs disk,
//! not memory; they come back in order when the file's turn comes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use bytes::Bytes;

use crate::exec::Event;

/// Payload bytes a waiting file keeps in memory before the rest goes to disk.
const IN_MEMORY: usize = 1 << 20;

/// Bytes read back from disk at a time.
const READ_BACK: u64 = 64 << 10;

/// One waiting event, or chunks in a row that went to disk (their length): one item for a
/// whole body, not one per chunk (65,536 of them for 1 GiB).
#[derive(Debug)]
enum Item {
    Event(Event),
    Spilled(u64),
}

/// A waiting file's events, in order.
#[derive(Debug, Default)]
pub struct Waiting {
    items: Vec<Item>,
    in_memory: usize,
    spill: Option<File>,
}

impl Waiting {
    pub fn push(&mut self, event: Event) {
        // Once chunks go to disk, the following ones do too: they stay one item.
        if let Event::Chunk(bytes) = &event
            && (self.spill.is_some() || self.in_memory + bytes.len() > IN_MEMORY)
            && self.spill(bytes)
        {
            let len = bytes.len() as u64;
            match self.items.last_mut() {
                Some(Item::Spilled(before)) => *before += len,
                _ => self.items.push(Item::Spilled(len)),
            }
            return;
        }
        if let Event::Chunk(bytes) = &event {
            self.in_memory += bytes.len();
        }
        self.items.push(Item::Event(event));
    }

    /// Writes a chunk to the spill file; `false` (kept in memory) if it cannot.
    fn spill(&mut self, bytes: &[u8]) -> bool {
        if self.spill.is_none() {
            // Unnamed: the file is gone from the folder at once, and with the process.
            self.spill = tempfile_in(&std::env::temp_dir());
        }
        self.spill
            .as_mut()
            .is_some_and(|file| file.write_all(bytes).is_ok())
    }

    /// The index of the item after the last finished request (what an interruption shows).
    pub fn finished_prefix(&self) -> usize {
        self.items
            .iter()
            .rposition(|i| matches!(i, Item::Event(Event::RequestFinished(_))))
            .map_or(0, |at| at + 1)
    }

    /// The first `count` events, in order, chunks read back from disk; the rest is dropped.
    pub fn drain(&mut self, count: usize) -> impl Iterator<Item = Event> + '_ {
        if let Some(file) = self.spill.as_mut() {
            let _ = file.seek(SeekFrom::Start(0));
        }
        self.in_memory = 0;
        let items: Vec<Item> = self.items.drain(..).take(count).collect();
        let mut spill = self.spill.take();
        let mut items = items.into_iter();
        // What is left to read back of the spilled item at hand.
        let mut pending = 0u64;
        std::iter::from_fn(move || {
            loop {
                if pending > 0 {
                    let take = pending.min(READ_BACK);
                    pending -= take;
                    let mut bytes = vec![0; usize::try_from(take).unwrap_or(0)];
                    let read = spill.as_mut().map(|f| f.read_exact(&mut bytes));
                    if matches!(read, Some(Ok(()))) {
                        return Some(Event::Chunk(Bytes::from(bytes)));
                    }
                    pending = 0;
                    continue;
                }
                match items.next()? {
                    Item::Event(event) => return Some(event),
                    Item::Spilled(len) => pending = len,
                }
            }
        })
    }
}

/// A temporary file that has no name: created in `dir` and unlinked at once.
fn tempfile_in(dir: &std::path::Path) -> Option<File> {
    for attempt in 0..16u32 {
        let path = dir.join(format!(
            ".runner-{}-{attempt}-{}.spill",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        let created = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path);
        if let Ok(file) = created {
            let _ = std::fs::remove_file(&path);
            return Some(file);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_past_the_bound_come_back_from_disk_in_order() {
        let mut waiting = Waiting::default();
        let sizes = [IN_MEMORY - 10, 100, 7, 3 << 20];
        for (i, size) in sizes.iter().enumerate() {
            waiting.push(Event::Chunk(Bytes::from(vec![
                u8::try_from(i).unwrap_or(0);
                *size
            ])));
        }
        assert!(waiting.spill.is_some(), "the later chunks went to disk");
        assert_eq!(waiting.items.len(), 2, "one item for the chunks on disk");
        let back: Vec<Bytes> = waiting
            .drain(usize::MAX)
            .filter_map(|e| match e {
                Event::Chunk(b) => Some(b),
                _ => None,
            })
            .collect();
        assert!(back.iter().all(|b| b.len() <= IN_MEMORY));
        let whole: Vec<u8> = back.concat();
        let expected: Vec<u8> = sizes
            .iter()
            .enumerate()
            .flat_map(|(i, size)| vec![u8::try_from(i).unwrap_or(0); *size])
            .collect();
        assert!(whole == expected, "the bytes come back in order");
    }
}
