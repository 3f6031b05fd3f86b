//! Response bodies of `runner serve`: whole JSON answers, and `/bytes/N` streamed in fixed
//! chunks so a large download costs the server no memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame, SizeHint};

/// Every response body.
pub type ResponseBody = BoxBody<Bytes, Infallible>;

const CHUNK_SIZE: usize = 64 * 1024;

/// The bytes `/bytes/N` repeats: 0, 1, ..., 255, 0, 1, ...
static CHUNK: [u8; CHUNK_SIZE] = {
    let mut chunk = [0u8; CHUNK_SIZE];
    let mut i = 0;
    while i < CHUNK_SIZE {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the pattern is the low byte of the index"
        )]
        {
            chunk[i] = i as u8;
        }
        i += 1;
    }
    chunk
};

/// `n` bytes of the pattern, produced as they are sent.
#[derive(Debug)]
pub struct Pattern {
    remaining: u64,
}

impl Pattern {
    pub fn new(length: u64) -> Self {
        Self { remaining: length }
    }
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let size = usize::try_from(self.remaining).map_or(CHUNK_SIZE, |r| r.min(CHUNK_SIZE));
        self.remaining -= size as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..size])))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

pub fn pattern(length: u64) -> ResponseBody {
    Pattern::new(length).boxed()
}

pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    http_body_util::Full::new(bytes.into()).boxed()
}
