//! A value with its place in the suite file. It is toml's `Spanned` with a JSON Schema that is
//! the inner value's, so the raw types can both carry spans and generate the schema.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

use crate::diagnostic::Span;

/// A deserialized value and the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T>(toml::Spanned<T>);

impl<T> Spanned<T> {
    pub fn new(span: Span, value: T) -> Self {
        Self(toml::Spanned::new(span, value))
    }

    pub fn span(&self) -> Span {
        self.0.span()
    }

    pub fn get(&self) -> &T {
        self.0.get_ref()
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.get_ref()
    }
}

thread_local! {
    /// Where the text being parsed starts in its file: a large suite parses in pieces
    /// (`pieces`), and every span read from a piece is moved to its place in the whole file.
    static OFFSET: Cell<usize> = const { Cell::new(0) };
}

/// Runs `parse` on a piece of a file that starts at byte `offset`: the spans it reads are the
/// file's. Spans are read deep inside serde, where no other state reaches.
pub fn at_offset<R>(offset: usize, parse: impl FnOnce() -> R) -> R {
    /// Puts the offset back even if `parse` panics, so later parses on the thread are right.
    struct Reset(usize);
    impl Drop for Reset {
        fn drop(&mut self) {
            OFFSET.set(self.0);
        }
    }
    let _reset = Reset(OFFSET.replace(offset));
    parse()
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::deserialize(deserializer)?;
        let offset = OFFSET.get();
        if offset == 0 {
            return Ok(Self(spanned));
        }
        let span = spanned.span();
        Ok(Self::new(
            span.start + offset..span.end + offset,
            spanned.into_inner(),
        ))
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
