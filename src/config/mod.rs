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

mod pieces;
mod spanned;
mod structure;
pub mod suite;
pub mod template;

use std::collections::hash_map::Entry;
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
    if source.text.len() >= pieces::LARGE
        && let Some(suite) = load_in_pieces(&source, vars, &*env, pieces::PIECE)
    {
        return Ok(suite);
    }
    // Every structural mistake at once; what parses goes on, so the checks below add theirs.
    let parsed = structure::parse(&source);
    let mut errors = parsed.mistakes;
    let Some(raw) = parsed.raw else {
        return Err(ConfigError::Invalid(errors));
    };
    let Some(scope) = scope(&source, &raw, vars, &*env, &mut errors) else {
        return Err(in_file_order(errors));
    };
    let base_dir = base_dir(&source);
    let mut converter = Converter {
        source: &source,
        scope: &scope,
        base_dir: &base_dir,
        errors: Vec::new(),
    };
    let endpoints = converter.endpoints(&raw);
    let endpoint_names: Vec<&str> = raw.endpoints.keys().map(String::as_str).collect();

    let only_endpoint = only_endpoint(&raw);
    let namings = raw
        .requests
        .iter()
        .map(|request| Naming::of(request, only_endpoint))
        .collect();
    let names = request_names(&mut converter, namings);
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
    finish(source, &raw, &scope, endpoints, requests, errors)
}

/// A large suite read as it parses, piece by piece (`pieces`), so that it is never held both
/// as written and as read. `None` when the file cannot be cut, or when anything in it is
/// wrong: it is then read whole, and its mistakes are found and said as in any file.
fn load_in_pieces(
    source: &Arc<Source>,
    vars: &CommandLineVars,
    env: &dyn Fn(&str) -> Option<String>,
    piece: usize,
) -> Option<Suite> {
    let cut = pieces::cut(&source.text)?;
    let raw = cut.root(&source.text)?;
    let mut errors = Vec::new();
    let scope = scope(source, &raw, vars, env, &mut errors).filter(|_| errors.is_empty())?;
    let base_dir = base_dir(source);
    let mut converter = Converter {
        source,
        scope: &scope,
        base_dir: &base_dir,
        errors: Vec::new(),
    };
    let endpoints = converter.endpoints(&raw);
    let endpoint_names: Vec<&str> = raw.endpoints.keys().map(String::as_str).collect();
    let only_endpoint = only_endpoint(&raw);

    // Names come last, when every request is known. A request may use the captures of the
    // ones before it, which are all known when it is read.
    let mut first: HashMap<String, (usize, String)> = HashMap::new();
    let mut requests = Vec::with_capacity(cut.requests());
    let mut namings = Vec::with_capacity(cut.requests());
    let read = cut.each_request(&source.text, piece, |request| {
        let at = requests.len();
        let captures = CaptureNames {
            first: Some(&first),
            at,
        };
        requests.push(converter.request(request, String::new(), &endpoint_names, &captures));
        namings.push(Naming::of(request, only_endpoint));
        for capture in request.capture.keys() {
            first
                .entry(capture.clone())
                .or_insert_with(|| (at, String::new()));
        }
        converter.errors.is_empty()
    });
    if !read {
        return None;
    }
    let names = request_names(&mut converter, namings);
    if !converter.errors.is_empty() {
        return None;
    }
    for (request, name) in requests.iter_mut().zip(names) {
        if let Some(request) = request {
            request.name = name;
        }
    }
    finish(
        Arc::clone(source),
        &raw,
        &scope,
        endpoints,
        requests,
        Vec::new(),
    )
    .ok()
}

/// The suite's variables with the command line's, resolved; `None` when they cannot be. Their
/// mistakes go to `errors`.
fn scope<'e>(
    source: &Arc<Source>,
    raw: &RawSuite,
    vars: &CommandLineVars,
    env: &'e dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Scope<'e>> {
    let mut definitions = IndexMap::new();
    for (name, value) in &raw.vars {
        if name == "env" || name.starts_with("env.") || !template::is_valid_name(name) {
            errors.push(
                Diagnostic::at(source, &value.span(), format!("invalid variable name `{name}`"))
                    .help("names are made of letters, digits, `_`, `-` and `.`; `env.` is kept for the environment"),
            );
        }
        definitions.insert(
            name.clone(),
            VarDef {
                value: scalar_text(value.get()),
                origin: Some((Arc::clone(source), value.span())),
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
    Scope::new(definitions, env, secret_vars)
        .map_err(|mut found| errors.append(&mut found))
        .ok()
}

/// The folder paths in the suite are relative to.
fn base_dir(source: &Source) -> PathBuf {
    source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The suite, when everything in it converted and nothing is wrong.
fn finish(
    source: Arc<Source>,
    raw: &RawSuite,
    scope: &Scope<'_>,
    endpoints: Vec<Option<suite::Endpoint>>,
    requests: Vec<Option<suite::Request>>,
    errors: Vec<Diagnostic>,
) -> Result<Suite, ConfigError> {
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

/// The suite's endpoint, when it has only one: requests need not name it.
fn only_endpoint(raw: &RawSuite) -> Option<&String> {
    (raw.endpoints.len() == 1)
        .then(|| raw.endpoints.keys().next())
        .flatten()
}

/// What naming a request needs from it.
enum Naming {
    Given(Spanned<String>),
    /// A request without a name: "METHOD path", and the endpoint it goes to.
    Unnamed {
        default: String,
        endpoint: Option<String>,
    },
}

impl Naming {
    fn of(request: &raw::RawRequest, only_endpoint: Option<&String>) -> Self {
        match &request.name {
            Some(given) => Self::Given(given.clone()),
            None => Self::Unnamed {
                default: request::default_name(request),
                endpoint: request
                    .endpoint
                    .as_ref()
                    .map(|e| e.get())
                    .or(only_endpoint)
                    .cloned(),
            },
        }
    }
}

/// Request names: given, or by default "METHOD path". Default names never collide: when one
/// repeats, the endpoint's name is added ("GET /get (api)"), then an ordinal ("GET /get (api)
/// #2"). A given name that repeats is reported.
fn request_names(converter: &mut Converter<'_>, namings: Vec<Naming>) -> Vec<String> {
    // Per default name of the unnamed requests: how many, and on which endpoints.
    let mut unnamed: HashMap<&str, (usize, HashSet<Option<&String>>)> = HashMap::new();
    for naming in &namings {
        let Naming::Unnamed { default, endpoint } = naming else {
            continue;
        };
        let entry = unnamed.entry(default.as_str()).or_default();
        entry.0 += 1;
        entry.1.insert(endpoint.as_ref());
    }
    // The names a default name must not take; none to keep when every request has a name.
    let mut taken: HashSet<String> = namings
        .iter()
        .filter(|_| !unnamed.is_empty())
        .filter_map(|n| match n {
            Naming::Given(given) => Some(given.get().clone()),
            Naming::Unnamed { .. } => None,
        })
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(namings.len());
    let mut ordinals: HashMap<String, usize> = HashMap::new();
    // The names made for unnamed requests; a given name is moved out of its naming below.
    let mut made = Vec::with_capacity(namings.len());
    for (index, naming) in namings.iter().enumerate() {
        made.push(match naming {
            Naming::Unnamed { default, endpoint } => {
                // The endpoint tells requests apart only when they go to different ones.
                let on_several = unnamed
                    .get(default.as_str())
                    .is_some_and(|(count, endpoints)| *count > 1 && endpoints.len() > 1);
                let mut name = match endpoint {
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
                Some(name)
            }
            Naming::Given(given) => {
                let name = given.get();
                match seen.entry(name.as_str()) {
                    Entry::Occupied(first) => converter.report(
                        converter
                            .error(&given.span(), format!("duplicate request name \"{name}\""))
                            .help(format!(
                                "request names are unique in a file; the first \"{name}\" is request {}",
                                first.get() + 1
                            )),
                    ),
                    Entry::Vacant(first) => {
                        first.insert(index);
                    }
                }
                None
            }
        });
    }
    drop((seen, unnamed));
    namings
        .into_iter()
        .zip(made)
        .map(|(naming, made)| match naming {
            Naming::Given(given) => given.into_inner(),
            // Every unnamed request has a made name.
            Naming::Unnamed { .. } => made.unwrap_or_default(),
        })
        .collect()
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

    /// A suite of named and unnamed requests, captures used by later requests, expectations,
    /// and strings that look like headers; `mistake` at its end.
    fn varied_suite(mistake: &str) -> Arc<Source> {
        let mut text = "vars = { user = \"ann\" }\n[endpoints.api]\n\
                        url = \"https://localhost:8443\"\n"
            .to_owned();
        for i in 0..30 {
            let name = if i % 3 == 0 {
                String::new()
            } else {
                format!("name = \"r{i}\"\n")
            };
            let used = if i == 0 {
                "user".to_owned()
            } else {
                format!("token{}", i - 1)
            };
            text.push_str(&format!(
                "\n[[requests]]\n{name}path = \"/get/{{{{user}}}}\"\n\
                 body = '''\n[[requests]]\n'''\nheaders = {{ x = \"{{{{{used}}}}}\" }}\n\
                 [requests.expect]\nstatus = [\n200,\n]\njson = {{ \"$.a\" = {i} }}\n\
                 [requests.capture]\ntoken{i} = {{ json = \"$.t\" }}\n"
            ));
        }
        text.push_str(mistake);
        Arc::new(Source::new(PathBuf::from("a.toml"), text))
    }

    /// A large suite read in pieces is the suite read whole: the same requests, with the same
    /// names and places.
    #[test]
    fn a_suite_read_in_pieces_is_the_suite_read_whole() {
        let source = varied_suite("");
        let vars = CommandLineVars::default();
        let in_pieces =
            load_in_pieces(&source, &vars, &|_| None, 400).expect("the suite is read in pieces");
        let whole = load_source(source, &vars, Box::new(|_| None)).expect("a valid suite");
        assert_eq!(format!("{in_pieces:?}"), format!("{whole:?}"));
        assert_eq!(in_pieces.requests[6].name, "GET /get/{{user}} (api) #2");
    }

    /// A large suite with anything wrong in it is read again whole, where its mistakes are said
    /// as in any file.
    #[test]
    fn a_wrong_suite_is_not_read_in_pieces() {
        let vars = CommandLineVars::default();
        for mistake in [
            "\n[[requests]]\npaht = \"/\"\n",
            "\n[[requests]]\nname = \"r1\"\n",
            "\n[[requests]]\nheaders = { x = \"{{later}}\" }\n\
             \n[[requests]]\n[requests.capture]\nlater = { json = \"$.a\" }\n",
            "\n[[requests]]\npath = \"{{nobody}}\"\n",
            "\n[[requests]]\npath = \"/\"\npath = \"/\"\n",
        ] {
            let source = varied_suite(mistake);
            assert!(
                load_in_pieces(&source, &vars, &|_| None, 400).is_none(),
                "{mistake}"
            );
            assert!(
                load_source(source, &vars, Box::new(|_| None)).is_err(),
                "{mistake}"
            );
        }
    }

    /// A suite of 100,000 requests holds every request as read, and a small file every request
    /// as written too: rare parts (expectations, retries, bodies, file outputs) are boxed so
    /// that the common request stays small. RawRequest was 2,192 bytes, Request 608.
    #[test]
    fn requests_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<raw::RawRequest>() <= 768);
        assert!(size_of::<suite::Request>() <= 256);
    }
}
