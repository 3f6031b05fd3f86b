//! The loader: suite files (TOML) → validated [`Suite`]s. Parsing goes through the raw serde
//! types (`raw`), then `convert` checks everything and builds the types later stages use.
//! Every problem is a [`Diagnostic`] pointing into the file.

mod convert;
pub mod discover;

pub mod duration;
mod endpoint;
mod expect;
mod raw;
mod request;
pub mod schema;

mod spanned;
mod structure;
pub mod suite;
pub mod template;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

pub use crate::diagnostic::{Diagnostic, Source};
pub use discover::discover;
pub use raw::RawSuite;
pub use suite::Suite;

use convert::{Converter, scalar_text};
use raw::Scalar;
use spanned::Spanned;
pub use template::EnvLookup;
use template::{CaptureNames, Scope, VarDef};

/// Values given on the command line.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--vars-file`, in order; later files win.
    pub vars_files: Vec<PathBuf>,
    /// `--var name=value`, in order; they win over everything.
    pub vars: Vec<(String, String)>,
}

/// Why a suite could not be loaded. Every variant means: nothing was sent.
#[derive(Debug)]
pub enum ConfigError {
    /// A file could not be read at all.
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A directory or a pattern holds no suite.
    EmptyDir { path: PathBuf },
    /// A glob pattern (of a path or `--exclude`) that does not parse.
    BadPattern { pattern: String, reason: String },
    /// Problems in a file's content.
    Invalid(Vec<Diagnostic>),
}

impl ConfigError {
    /// Each problem, with its place.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Read { path, error } => {
                let diagnostic = Diagnostic::plain(format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::words::io_reason(error)
                ));
                vec![if error.kind() == std::io::ErrorKind::NotFound {
                    diagnostic.help("check the path; suites are TOML files, and a directory means its *.toml files")
                } else {
                    diagnostic
                }]
            }
            Self::EmptyDir { path } => vec![
                Diagnostic::plain(format!("{} holds no *.toml suite file", path.display()))
                    .help("give suite files, or a directory that holds some"),
            ],
            Self::BadPattern { pattern, reason } => vec![
                Diagnostic::plain(format!("`{pattern}` is not a glob pattern: {reason}"))
                    .help("patterns use *, ** (any folders), ? and [abc], as a shell does"),
            ],
            Self::Invalid(diagnostics) => diagnostics.clone(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<String> = self.diagnostics().iter().map(ToString::to_string).collect();
        f.write_str(&rendered.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

/// Reads a file as UTF-8 text: a suite (which may be a pipe) or a variables file.
fn read(path: &Path, limit: u64, pipes: bool) -> Result<Arc<Source>, ConfigError> {
    let bytes = crate::read::bounded(path, limit, pipes).map_err(|error| ConfigError::Read {
        path: path.to_owned(),
        error,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
        path: path.to_owned(),
        error: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text; suite files are TOML",
        ),
    })?;
    Ok(Arc::new(Source::new(path.to_owned(), text)))
}

/// The command line's variables, read once for all suites: `--vars-file` files then `--var`.
#[derive(Debug, Default)]
pub struct CommandLineVars {
    vars: IndexMap<String, VarDef>,
}

impl CommandLineVars {
    pub fn read(overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut vars = IndexMap::new();
        for path in &overrides.vars_files {
            let source = read(path, crate::read::MATERIAL_LIMIT, false)?;
            let table: IndexMap<String, Spanned<Scalar>> = toml::from_str(&source.text)
                .map_err(|e| ConfigError::Invalid(vec![Diagnostic::from_toml(&source, &e)]))?;
            for (name, value) in table {
                vars.insert(
                    name,
                    VarDef {
                        value: scalar_text(value.get()),
                        origin: Some((Arc::clone(&source), value.span())),
                    },
                );
            }
        }
        for (name, value) in &overrides.vars {
            vars.insert(
                name.clone(),
                VarDef {
                    value: value.clone(),
                    origin: None,
                },
            );
        }
        Ok(Self { vars })
    }
}

/// What an `env.*` variable that is not set stands in as under `check --offline`: text that
/// passes where a host name, a path or a password goes.
pub fn deferred_value(name: &str) -> String {
    format!("set-at-run-time-env-{name}")
}

/// Loads and checks one suite file (`-` is standard input). `env` looks up `{{env.NAME}}`.
pub fn load(path: &Path, vars: &CommandLineVars, env: EnvLookup) -> Result<Suite, ConfigError> {
    let source = if path == Path::new(discover::STDIN) {
        read_stdin()?
    } else {
        read(path, crate::read::SUITE_LIMIT, true)?
    };
    load_source(source, vars, env)
}

/// A suite on standard input (`runner run -`): its relative paths are the working folder's.
fn read_stdin() -> Result<Arc<Source>, ConfigError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(crate::read::SUITE_LIMIT + 1)
        .read_to_end(&mut bytes);
    let fail = |error| ConfigError::Read {
        path: PathBuf::from(discover::STDIN),
        error,
    };
    read.map_err(fail)?;
    if bytes.len() as u64 > crate::read::SUITE_LIMIT {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            "more than the 64 MiB a suite may hold",
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        fail(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text; suite files are TOML",
        ))
    })?;
    Ok(Arc::new(Source::new(PathBuf::from(discover::STDIN), text)))
}

/// Loads and checks a suite from its text; paths in it are relative to the folder of
/// `source.path`.
pub fn load_source(
    source: Arc<Source>,
    vars: &CommandLineVars,
    env: EnvLookup,
) -> Result<Suite, ConfigError> {
    // Every structural mistake at once; what parses goes on, so the checks below add theirs.
    let parsed = structure::parse(&source);
    let mut errors = parsed.mistakes;
    let Some(raw) = parsed.raw else {
        return Err(ConfigError::Invalid(errors));
    };

    let mut definitions = IndexMap::new();
    for (name, value) in &raw.vars {
        if name == "env" || name.starts_with("env.") || !template::is_valid_name(name) {
            errors.push(
                Diagnostic::at(&source, &value.span(), format!("invalid variable name `{name}`"))
                    .help("names are made of letters, digits, `_`, `-` and `.`; `env.` is kept for the environment"),
            );
        }
        definitions.insert(
            name.clone(),
            VarDef {
                value: scalar_text(value.get()),
                origin: Some((Arc::clone(&source), value.span())),
            },
        );
    }
    definitions.extend(vars.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    // A variable used where a password goes is a secret wherever it is used.
    let secret_vars: HashSet<String> = raw
        .endpoints
        .values()
        .filter_map(|e| e.get().secure_socket.as_ref())
        .flat_map(|s| s.get().passwords())
        .flat_map(template::references)
        .collect();
    let scope = match Scope::new(definitions, env, secret_vars) {
        Ok(scope) => scope,
        Err(mut found) => {
            errors.append(&mut found);
            return Err(in_file_order(errors));
        }
    };

    let base_dir = source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut converter = Converter {
        source: &source,
        scope: &scope,
        base_dir: &base_dir,
        errors: Vec::new(),
    };
    let endpoints: Vec<_> = raw
        .endpoints
        .iter()
        .map(|(name, endpoint)| converter.endpoint(name, endpoint))
        .collect();
    let endpoint_names: Vec<&str> = raw.endpoints.keys().map(String::as_str).collect();

    let names = request_names(&mut converter, &raw);
    // Which request captures what: a request may use the captures of the ones before it.
    let mut first: HashMap<String, (usize, String)> = HashMap::new();
    for (index, (request, name)) in raw.requests.iter().zip(&names).enumerate() {
        for capture in request.capture.keys() {
            first
                .entry(capture.clone())
                .or_insert_with(|| (index, name.clone()));
        }
    }
    let mut requests = Vec::with_capacity(raw.requests.len());
    for (at, (request, name)) in raw.requests.iter().zip(names).enumerate() {
        let captures = CaptureNames {
            first: Some(&first),
            at,
        };
        requests.push(converter.request(request, name, &endpoint_names, &captures));
    }

    // A value with a part set aside is not judged again: its mistake is said already.
    errors.extend(
        converter
            .errors
            .into_iter()
            .filter(|d| !parsed.set_aside.iter().any(|r| d.covers(r))),
    );
    match (
        endpoints.into_iter().collect::<Option<Vec<_>>>(),
        requests.into_iter().collect::<Option<Vec<_>>>(),
    ) {
        (Some(endpoints), Some(requests)) if errors.is_empty() => Ok(Suite {
            source,
            endpoints,
            requests,
            warnings: scope.warnings(),
            var_names: raw.vars.keys().cloned().chain(scope.used()).collect(),
            deferred_env: std::collections::BTreeSet::new(),
        }),
        _ => Err(in_file_order(errors)),
    }
}

/// A file's diagnostics in the order of their places in it.
fn in_file_order(mut errors: Vec<Diagnostic>) -> ConfigError {
    errors.sort_by_key(Diagnostic::position);
    ConfigError::Invalid(errors)
}

/// The endpoint a request names, or the file's only one.
fn endpoint_of<'a>(request: &'a raw::RawRequest, only: Option<&'a String>) -> Option<&'a String> {
    request.endpoint.as_ref().map(|e| e.get()).or(only)
}

/// Request names: given, or by default "METHOD path". Default names never collide: when one
/// repeats, the endpoint's name is added ("GET /get (api)"), then an ordinal ("GET /get (api)
/// #2"). A given name that repeats is reported.
fn request_names(converter: &mut Converter<'_>, raw: &RawSuite) -> Vec<String> {
    let defaults: Vec<String> = raw
        .requests
        .iter()
        .map(|r| request::default_name(r))
        .collect();
    let only_endpoint = (raw.endpoints.len() == 1)
        .then(|| raw.endpoints.keys().next())
        .flatten();
    // Per default name of the unnamed requests: how many, and on which endpoints.
    let mut unnamed: HashMap<&str, (usize, HashSet<Option<&String>>)> = HashMap::new();
    for (request, default) in raw.requests.iter().zip(&defaults) {
        if request.name.is_none() {
            let entry = unnamed.entry(default.as_str()).or_default();
            entry.0 += 1;
            entry.1.insert(endpoint_of(request, only_endpoint));
        }
    }
    let mut taken: HashSet<String> = raw
        .requests
        .iter()
        .filter_map(|r| r.name.as_ref().map(|n| n.get().clone()))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ordinals: HashMap<String, usize> = HashMap::new();
    let mut names = Vec::new();
    for (index, (request, default)) in raw.requests.iter().zip(&defaults).enumerate() {
        let Some(given) = &request.name else {
            // The endpoint tells requests apart only when they go to different ones.
            let on_several = unnamed
                .get(default.as_str())
                .is_some_and(|(count, endpoints)| *count > 1 && endpoints.len() > 1);
            let mut name = match endpoint_of(request, only_endpoint) {
                Some(endpoint) if on_several || taken.contains(default) => {
                    format!("{default} ({endpoint})")
                }
                _ => default.clone(),
            };
            if taken.contains(&name) {
                // Counting on from the last ordinal given to this name: 100,000 unnamed
                // requests alike are named in linear time.
                let next = ordinals.entry(name.clone()).or_insert(2);
                while taken.contains(&format!("{name} #{next}")) {
                    #[cfg(test)]
                    tests::ORDINAL_PROBES.with(|p| p.set(p.get() + 1));
                    *next += 1;
                }
                name = format!("{name} #{next}");
                *next += 1;
            }
            taken.insert(name.clone());
            names.push(name);
            continue;
        };
        let name = given.get().clone();
        if let Some(&first) = seen.get(&name) {
            converter.report(
                converter
                    .error(&given.span(), format!("duplicate request name \"{name}\""))
                    .help(format!(
                        "request names are unique in a file; the first \"{name}\" is request {}",
                        first + 1
                    )),
            );
        } else {
            seen.insert(name.clone(), index);
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Ordinals tried and found taken while naming unnamed requests.
        pub static ORDINAL_PROBES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Unnamed requests alike get "GET /get", "GET /get (api)", then ordinals, each found
    /// without trying the ones before it: naming is linear, whatever the suite's size.
    #[test]
    fn unnamed_requests_are_named_in_linear_time() {
        let mut text = "[endpoints.api]\nurl = \"https://localhost:8443\"\n".to_owned();
        for _ in 0..2000 {
            text.push_str("\n[[requests]]\npath = \"/get\"\n");
        }
        let source = Arc::new(Source::new(PathBuf::from("a.toml"), text));
        ORDINAL_PROBES.with(|p| p.set(0));
        let suite = load_source(source, &CommandLineVars::default(), Box::new(|_| None))
            .expect("a valid suite");
        let names: Vec<&str> = suite.requests.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names[..3],
            ["GET /get", "GET /get (api)", "GET /get (api) #2"]
        );
        assert_eq!(names[1999], "GET /get (api) #1999");
        assert_eq!(ORDINAL_PROBES.with(std::cell::Cell::get), 0);
    }

    /// A suite of 100,000 requests holds every request twice while it loads (as written and as
    /// read): rare parts (expectations on certificates, retries, JSON, form and multipart
    /// bodies) are boxed so that the common request stays small. RawRequest was 2,192 bytes.
    #[test]
    fn requests_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<raw::RawRequest>() <= 768);
        assert!(size_of::<suite::Request>() <= 640);
    }
}
