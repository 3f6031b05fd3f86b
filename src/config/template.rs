//! `{{name}}` values: strings of a suite with their variables resolved when the suite loads.
//! What is known at load (`[vars]`, `--var`, `--vars-file`, `{{env.NAME}}`) is substituted then;
//! a name an earlier request captures stays a [`Part::Capture`] for run time; anything else is an
//! error. Values from the environment stay [`Secret`]s inside the template.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Source, Span, nearest};
use crate::secret::{REDACTED, Secret};

/// One piece of a resolved string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Secret(Secret),
    /// Filled at run time from an earlier request's capture.
    Capture(String),
}

/// A string value with its variables resolved as far as load time allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// A template fully resolved at load time. `Debug` shows only `shown`.
#[derive(Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The value itself.
    pub value: String,
    /// The value as it may be shown: secrets replaced by `***`.
    pub shown: String,
}

impl Template {
    pub fn literal(text: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Text(text.into())],
        }
    }

    /// Whether some of it comes from a secret.
    pub fn is_secret(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Secret(_)))
    }

    /// The value, when nothing is left for run time.
    pub fn resolved(&self) -> Option<Resolved> {
        self.render(&Captures::new()).ok()
    }

    /// How it may be shown: secrets as `***`, captures as `{{name}}`.
    pub fn shown(&self) -> String {
        let mut shown = String::new();
        self.show_in(&mut shown);
        shown
    }

    /// Adds how it may be shown to `out`, without a string of its own: `check` shows the path
    /// of each of 100,000 requests.
    pub fn show_in(&self, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Secret(_) => out.push_str(REDACTED),
                Part::Capture(name) => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
            }
        }
    }

    /// Its length in bytes, as far as known at load (captures count as nothing).
    pub fn len(&self) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.len(),
                Part::Secret(secret) => secret.expose().len(),
                Part::Capture(_) => 0,
            })
            .sum()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty template with room for `parts` parts: a value of one segment, as most are,
    /// allocates once.
    fn with_room(parts: usize) -> Self {
        Self {
            parts: Vec::with_capacity(parts),
        }
    }

    fn push(&mut self, part: Part) {
        match (self.parts.last_mut(), part) {
            (Some(Part::Text(last)), Part::Text(text)) => last.push_str(&text),
            (_, part) => self.parts.push(part),
        }
    }

    fn append(&mut self, other: &Self) {
        for part in &other.parts {
            self.push(part.clone());
        }
    }
}

/// The longest a value may grow to by expanding variables (spec §7).
pub const MAX_VALUE: usize = 1 << 20;

/// A capture's value at run time. `Debug` hides a secret one.
#[derive(Clone, PartialEq, Eq)]
pub struct Captured {
    pub value: String,
    /// Shown as `***` wherever it would be shown.
    pub secret: bool,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.secret {
            REDACTED
        } else {
            self.value.as_str()
        };
        f.debug_struct("Captured")
            .field("value", &value)
            .field("secret", &self.secret)
            .finish()
    }
}

/// The captures made so far in a suite's run.
pub type Captures = HashMap<String, Captured>;

impl Template {
    /// Fills in the captures. The error is the name of a capture that has no value (its request
    /// failed or did not run).
    pub fn render(&self, captures: &Captures) -> Result<Resolved, String> {
        let mut value = String::new();
        let mut shown = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    value.push_str(text);
                    shown.push_str(text);
                }
                Part::Secret(secret) => {
                    value.push_str(secret.expose());
                    shown.push_str(REDACTED);
                }
                Part::Capture(name) => {
                    let captured = captures.get(name).ok_or_else(|| name.clone())?;
                    value.push_str(&captured.value);
                    shown.push_str(if captured.secret {
                        REDACTED
                    } else {
                        &captured.value
                    });
                }
            }
        }
        Ok(Resolved { value, shown })
    }

    /// The secret values it holds at load time (environment values, variables used as
    /// passwords).
    pub fn load_secrets(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Secret(secret) => Some(secret.expose()),
            _ => None,
        })
    }

    /// The secret values it holds (environment values and secret captures), to hide them wherever
    /// they could be echoed back.
    pub fn secrets<'a>(&'a self, captures: &'a Captures) -> impl Iterator<Item = &'a str> {
        self.parts.iter().filter_map(move |part| match part {
            Part::Secret(secret) => Some(secret.expose()),
            Part::Capture(name) => captures
                .get(name)
                .filter(|c| c.secret)
                .map(|c| c.value.as_str()),
            Part::Text(_) => None,
        })
    }
}

/// A piece of a string before resolution.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Text(&'a str),
    /// A `{{name}}` reference; `at` is its byte range in the string.
    Ref {
        name: &'a str,
        at: Span,
    },
}

/// Splits a string into text and `{{name}}` references. The error is the byte range of an
/// unclosed `{{`.
/// The variable names a string refers to (`{{name}}`, not `{{env.NAME}}`).
pub fn references(text: &str) -> Vec<String> {
    segments(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|segment| match segment {
            Segment::Ref { name, .. } if !name.starts_with("env.") => Some(name.to_owned()),
            _ => None,
        })
        .collect()
}

/// Where the next `{{` starts, from `from` on. A search for one byte, `{`, rather than for the
/// pattern: most values name no variable (a suite of 100,000 requests has some 300,000 such),
/// and they pass at memchr's speed.
fn next_open(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let open = at + text[at..].find('{')?;
        // `{` is one byte: what follows it is a char boundary.
        if text[open + 1..].starts_with('{') {
            return Some(open);
        }
        at = open + 1;
    }
}

/// A template of `value`: its text as written, and what `reference` adds for each `{{name}}`
/// (with the name's place in `value`). Variables and values of the suite are both read so.
fn build(
    origin: Origin<'_>,
    value: &str,
    mut reference: impl FnMut(&mut Template, &str, &Span) -> Result<(), Diagnostic>,
) -> Result<Template, Diagnostic> {
    let segments = segments(value).map_err(|at| unclosed(origin, value, &at))?;
    let mut template = Template::with_room(segments.len());
    for segment in segments {
        match segment {
            Segment::Text(text) => template.push(Part::Text(text.to_owned())),
            Segment::Ref { name, at } => reference(&mut template, name, &at)?,
        }
    }
    Ok(template)
}

fn segments(text: &str) -> Result<Vec<Segment<'_>>, Span> {
    let mut segments = Vec::new();
    let mut rest = 0;
    while let Some(open) = next_open(text, rest) {
        if open > rest {
            segments.push(Segment::Text(&text[rest..open]));
        }
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            return Err(open..text.len());
        };
        segments.push(Segment::Ref {
            name: text[open + 2..close].trim(),
            at: open..close + 2,
        });
        rest = close + 2;
    }
    if rest < text.len() {
        segments.push(Segment::Text(&text[rest..]));
    }
    Ok(segments)
}

/// Where a string came from, to point diagnostics at the right characters.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub source: &'a Arc<Source>,
    pub span: &'a Span,
}

impl Origin<'_> {
    /// The span of `range` (byte offsets inside `value`) in the source, when the source holds the
    /// string as written (no escapes); otherwise the whole string's span.
    fn inner(&self, value: &str, range: &Span) -> Span {
        let text = &self.source.text;
        for quote in [1, 3] {
            let start = self.span.start + quote;
            if text.get(start..start + value.len()) == Some(value) {
                return start + range.start..start + range.end;
            }
        }
        self.span.clone()
    }

    fn error(&self, value: &str, range: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.source, &self.inner(value, range), message)
    }
}

/// What a variable name may look like: letters, digits, `_`, `-` and `.`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A variable before resolution: its text and where it was defined. `Debug` leaves the text
/// out: the variable may be used as a password.
#[derive(Clone)]
pub struct VarDef {
    pub value: String,
    /// `None` for `--var`, whose values are taken literally.
    pub origin: Option<(Arc<Source>, Span)>,
}

impl std::fmt::Debug for VarDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VarDef").finish_non_exhaustive()
    }
}

/// The names captures define, relative to the request being read: one map for the whole
/// suite, borrowed by every request (a copy per request made loading quadratic).
#[derive(Debug, Default, Clone, Copy)]
pub struct CaptureNames<'a> {
    /// Each captured name with the index and name of the first request that captures it.
    pub first: Option<&'a HashMap<String, (usize, String)>>,
    /// The index of the request being read: names first captured before it are usable.
    pub at: usize,
}

impl CaptureNames<'_> {
    fn usable(&self, name: &str) -> bool {
        self.first
            .and_then(|first| first.get(name))
            .is_some_and(|(index, _)| *index < self.at)
    }

    /// The request that captures `name` at or after this one.
    fn later(&self, name: &str) -> Option<&str> {
        let (index, request) = self.first?.get(name)?;
        (*index >= self.at).then_some(request.as_str())
    }

    fn usable_names(&self) -> impl Iterator<Item = &str> {
        self.first
            .into_iter()
            .flatten()
            .filter(|(_, (index, _))| *index < self.at)
            .map(|(name, _)| name.as_str())
    }
}

/// Looks up `{{env.NAME}}`: the process environment, or a stand-in in tests.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Resolves `{{name}}` references. It borrows the environment's lookup: a large suite read in
/// pieces is read again whole when something in it is wrong, with the same lookup.
pub struct Scope<'e> {
    vars: IndexMap<String, Template>,
    env: &'e dyn Fn(&str) -> Option<String>,
    /// Variables used where a password goes.
    secret_vars: HashSet<String>,
    /// Variables whose definition failed (and was reported).
    failed: HashSet<String>,
    /// Secrets too short to be found in echoed text, by name (`env.NAME` or a variable).
    short_secrets: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// The variables the suite refers to.
    used: std::cell::RefCell<HashSet<String>>,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("vars", &self.vars)
            .finish_non_exhaustive()
    }
}

impl<'e> Scope<'e> {
    /// Resolves the variables themselves: a variable may use `{{env.NAME}}` and other variables.
    /// `secret_vars`: the variables used where a password goes; their values are secrets
    /// wherever they are used.
    pub fn new(
        definitions: IndexMap<String, VarDef>,
        env: &'e dyn Fn(&str) -> Option<String>,
        secret_vars: HashSet<String>,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut scope = Self {
            vars: IndexMap::new(),
            env,
            secret_vars,
            failed: HashSet::new(),
            short_secrets: std::cell::RefCell::default(),
            used: std::cell::RefCell::default(),
        };
        let mut errors = Vec::new();
        // A cycle is reported once, not once for each variable in it.
        let mut failed = HashSet::new();
        for name in definitions.keys() {
            if failed.contains(name) {
                continue;
            }
            let mut chain = Vec::new();
            if let Err(error) = scope.define(name, &definitions, &mut chain) {
                errors.push(error);
                scope.failed.extend(chain.iter().cloned());
                failed.extend(chain);
            }
        }
        if errors.is_empty() {
            Ok(scope)
        } else {
            Err(errors)
        }
    }

    fn define(
        &mut self,
        name: &str,
        definitions: &IndexMap<String, VarDef>,
        resolving: &mut Vec<String>,
    ) -> Result<(), Diagnostic> {
        if self.vars.contains_key(name) {
            return Ok(());
        }
        let Some(definition) = definitions.get(name) else {
            return Ok(());
        };
        let Some((source, span)) = &definition.origin else {
            self.vars
                .insert(name.to_owned(), Template::literal(&definition.value));
            return Ok(());
        };
        let origin = Origin { source, span };
        resolving.push(name.to_owned());
        let value = &definition.value;
        let mut template = build(origin, value, |template, used, at| {
            if resolving.iter().any(|n| n == used) {
                return Err(origin
                    .error(
                        value,
                        at,
                        format!("variable `{}` refers to itself", resolving[0]),
                    )
                    .help(format!(
                        "the chain is {} -> {used}; give one of them a plain value",
                        resolving.join(" -> ")
                    )));
            }
            // A variable that failed was reported once: what uses it says nothing more.
            if self.failed.contains(used) {
                return Ok(());
            }
            if definitions.contains_key(used) {
                self.define(used, definitions, resolving)?;
            }
            let part = self.lookup(origin, value, used, at, &CaptureNames::default())?;
            template.append(&part);
            if template.len() > MAX_VALUE {
                return Err(too_long(
                    origin,
                    value,
                    at,
                    &format!("variable `{name}`"),
                    &format!(
                        "the chain that grew is {} -> {used}",
                        resolving.join(" -> ")
                    ),
                ));
            }
            Ok(())
        })?;
        resolving.pop();
        if self.secret_vars.contains(name) {
            let value: String = template
                .parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text(t) => Some(t.as_str()),
                    Part::Secret(s) => Some(s.expose()),
                    Part::Capture(_) => None,
                })
                .collect();
            self.note_if_short(name, &value);
            template.parts = template
                .parts
                .into_iter()
                .map(|part| match part {
                    Part::Text(text) => Part::Secret(Secret::new(text)),
                    other => other,
                })
                .collect();
        }
        self.vars.insert(name.to_owned(), template);
        Ok(())
    }

    fn note_if_short(&self, name: &str, value: &str) {
        if !value.is_empty() && value.chars().count() < crate::secret::MIN_FINDABLE {
            self.short_secrets.borrow_mut().insert(name.to_owned());
        }
    }

    /// Warnings about secrets too short to be found in echoed text.
    pub fn warnings(&self) -> Vec<String> {
        self.short_secrets
            .borrow()
            .iter()
            .map(|name| {
                format!(
                    "the secret `{{{{{name}}}}}` is shorter than {} characters: runner shows it as *** wherever it places it, but cannot look for it in what a server echoes back without hiding ordinary words",
                    crate::secret::MIN_FINDABLE
                )
            })
            .collect()
    }

    /// The variables the suite refers to, so far.
    pub fn used(&self) -> HashSet<String> {
        self.used.borrow().clone()
    }

    /// Whether a variable of that name exists.
    pub fn defines(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Resolves a string of the suite; `captures` says which capture names it may use.
    pub fn resolve(
        &self,
        origin: Origin<'_>,
        value: &str,
        captures: &CaptureNames,
    ) -> Result<Template, Diagnostic> {
        build(origin, value, |template, name, at| {
            template.append(&self.lookup(origin, value, name, at, captures)?);
            if template.len() > MAX_VALUE {
                return Err(too_long(
                    origin,
                    value,
                    at,
                    "this value",
                    &format!("`{name}` makes it too long"),
                ));
            }
            Ok(())
        })
    }

    /// Resolves a string that is needed when the suite loads (a URL, a file path): captures are
    /// not available yet.
    pub fn resolve_now(&self, origin: Origin<'_>, value: &str) -> Result<Resolved, Diagnostic> {
        let template = self.resolve(origin, value, &CaptureNames::default())?;
        // With no capture names allowed, nothing is left for run time.
        Ok(template.resolved().unwrap_or_else(|| Resolved {
            value: value.to_owned(),
            shown: value.to_owned(),
        }))
    }

    fn lookup(
        &self,
        origin: Origin<'_>,
        value: &str,
        name: &str,
        at: &Span,
        captures: &CaptureNames,
    ) -> Result<Template, Diagnostic> {
        if let Some(variable) = name.strip_prefix("env.") {
            return match (self.env)(variable) {
                Some(found) => {
                    self.note_if_short(name, &found);
                    Ok(Template {
                        parts: vec![Part::Secret(Secret::new(found))],
                    })
                }
                None => Err(origin
                    .error(
                        value,
                        at,
                        format!("environment variable `{variable}` is not set"),
                    )
                    .help(format!(
                        "set it before running, for example `export {variable}=...`"
                    ))),
            };
        }
        self.used.borrow_mut().insert(name.to_owned());
        if let Some(template) = self.vars.get(name) {
            return Ok(template.clone());
        }
        if captures.usable(name) {
            return Ok(Template {
                parts: vec![Part::Capture(name.to_owned())],
            });
        }
        if let Some(request) = captures.later(name) {
            return Err(origin
                .error(
                    value,
                    at,
                    format!(
                        "`{name}` is captured by request \"{request}\", which has not run yet here"
                    ),
                )
                .help("a capture can be used by the requests after the one that captures it"));
        }
        if !is_valid_name(name) {
            return Err(origin
                .error(value, at, format!("`{{{{{name}}}}}` is not a variable reference"))
                .help("names are made of letters, digits, `_`, `-` and `.`; `{{env.NAME}}` reads the environment"));
        }
        let known: Vec<&str> = self
            .vars
            .keys()
            .map(String::as_str)
            .chain(captures.usable_names())
            .collect();
        let help = match nearest(name, &known) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "define it in [vars], or pass --var {name}=... or --vars-file; use {{{{env.{name}}}}} to read the environment"
            ),
        };
        Err(origin
            .error(value, at, format!("unknown variable `{name}`"))
            .help(help))
    }
}

/// `what` grew past [`MAX_VALUE`] at `at`; `why` says what made it grow.
fn too_long(origin: Origin<'_>, value: &str, at: &Span, what: &str, why: &str) -> Diagnostic {
    let max = crate::size::show(MAX_VALUE as u64);
    origin
        .error(value, at, format!("{what} grows past {max} here"))
        .help(format!("{why}; a value may be at most {max}"))
}

fn unclosed(origin: Origin<'_>, value: &str, at: &Span) -> Diagnostic {
    origin
        .error(
            value,
            &(at.start..at.start + 2),
            "`{{` is not closed by `}}`",
        )
        .help("write `{{name}}` to use a variable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        assert_eq!(
            segments("a{{ x }}b{{y}}").ok(),
            Some(vec![
                Segment::Text("a"),
                Segment::Ref {
                    name: "x",
                    at: 1..8
                },
                Segment::Text("b"),
                Segment::Ref {
                    name: "y",
                    at: 9..14
                },
            ])
        );
        assert_eq!(segments("a{{x"), Err(1..4));
        // Single braces are text, up to the first pair.
        assert_eq!(
            segments("{a} { {{x}}").ok(),
            Some(vec![
                Segment::Text("{a} { "),
                Segment::Ref {
                    name: "x",
                    at: 6..11
                },
            ])
        );
        assert_eq!(segments("a{").ok(), Some(vec![Segment::Text("a{")]));
        assert_eq!(segments("").ok(), Some(vec![]));
    }

    #[test]
    fn debug_never_shows_a_secret_value() {
        let captured = Captured {
            value: "hunter22".to_owned(),
            secret: true,
        };
        let resolved = Resolved {
            value: "hunter22".to_owned(),
            shown: "***".to_owned(),
        };
        let text = format!("{captured:?} {resolved:?}");
        assert!(!text.contains("hunter22"), "{text}");
    }

    #[test]
    fn env_values_stay_secret() {
        let source = Arc::new(Source::new("s.toml".into(), "x = \"{{env.T}}\"".into()));
        let span = 4..15;
        let scope = Scope::new(IndexMap::new(), &|_| Some("tok".to_owned()), HashSet::new()).ok();
        let template = scope.map(|s| {
            s.resolve(
                Origin {
                    source: &source,
                    span: &span,
                },
                "Bearer {{env.T}}",
                &CaptureNames::default(),
            )
        });
        let resolved = template.and_then(|t| t.ok()).and_then(|t| t.resolved());
        assert_eq!(
            resolved,
            Some(Resolved {
                value: "Bearer tok".into(),
                shown: "Bearer ***".into()
            })
        );
    }
}
