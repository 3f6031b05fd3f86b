//! Loading a suite for use: the loader's checks, then every endpoint's TLS material read and
//! built. Whatever passes here can be sent; whatever fails was never sent.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use crate::config::{self, CommandLineVars, ConfigError, Suite};
use crate::diagnostic::Diagnostic;
use crate::tls::{self, ProxyTrust, TlsClient, TlsError};

/// A suite and its endpoints' TLS, in endpoint order (`None` for `http://` endpoints).
#[derive(Debug)]
pub struct Loaded {
    pub suite: Arc<Suite>,
    pub tls: Vec<Option<TlsClient>>,
    /// The trust of each endpoint's https:// proxy, when it has one.
    pub proxies: Vec<Option<Arc<ProxyTrust>>>,
}

/// Why a suite cannot be used.
#[derive(Debug)]
pub enum LoadError {
    Config(ConfigError),
    Tls(TlsError),
}

impl LoadError {
    /// Each problem, with its place.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Config(error) => error.diagnostics(),
            Self::Tls(error) => error.diagnostics(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<String> = self.diagnostics().iter().map(ToString::to_string).collect();
        f.write_str(&rendered.join("\n"))
    }
}

/// Loads `path` with the command line's variables and the process environment.
pub fn load(path: &Path, vars: &CommandLineVars) -> Result<Loaded, LoadError> {
    let suite = config::load(path, vars, Box::new(|name| std::env::var(name).ok()))
        .map_err(LoadError::Config)?;
    with_tls(suite)
}

/// Loads `path` as [`load`] does, but an `env.*` variable that is not set is not an error: it
/// stands in until run time (`check --offline`), and a keystore or key it is the password of is
/// checked without being opened.
pub fn load_offline(path: &Path, vars: &CommandLineVars) -> Result<Loaded, LoadError> {
    let deferred = Rc::new(RefCell::new(BTreeSet::new()));
    let noted = Rc::clone(&deferred);
    let env = Box::new(move |name: &str| {
        std::env::var(name).ok().or_else(|| {
            noted.borrow_mut().insert(name.to_owned());
            Some(config::deferred_value(name))
        })
    });
    let mut suite = config::load(path, vars, env).map_err(LoadError::Config)?;
    suite.deferred_env = deferred.take();
    with_tls(suite)
}

pub fn with_tls(suite: Suite) -> Result<Loaded, LoadError> {
    let tls = tls::build_suite(&suite).map_err(LoadError::Tls)?;
    Ok(Loaded {
        suite: Arc::new(suite),
        tls: tls.clients,
        proxies: tls.proxies,
    })
}
