//! TLS session resumption with a time limit (`session_timeout`): rustls' in-memory cache keeps
//! sessions as long as the server allows; this store also forgets them after our limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustls::NamedGroup;
use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::ServerName;

/// TLS 1.3 tickets kept per server, as rustls' own cache does.
const TICKETS_PER_SERVER: usize = 8;

/// Sessions by server name, each with the time it was stored.
#[derive(Debug)]
pub struct TimedSessionStore {
    timeout: Duration,
    sessions: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    kx_hints: HashMap<ServerName<'static>, NamedGroup>,
    tls12: HashMap<ServerName<'static>, (Instant, Tls12ClientSessionValue)>,
    tls13: HashMap<ServerName<'static>, VecDeque<(Instant, Tls13ClientSessionValue)>>,
}

impl TimedSessionStore {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            sessions: Mutex::new(Sessions::default()),
        }
    }

    fn fresh(&self, stored: Instant) -> bool {
        stored.elapsed() < self.timeout
    }

    fn with<T>(&self, f: impl FnOnce(&mut Sessions) -> T) -> T {
        // A panic while holding the lock leaves only a cache behind: use it anyway.
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut sessions)
    }
}

impl ClientSessionStore for TimedSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.with(|s| s.kx_hints.insert(server_name, group));
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.with(|s| s.kx_hints.get(server_name).copied())
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.with(|s| s.tls12.insert(server_name, (Instant::now(), value)));
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.with(|s| {
            let (stored, value) = s.tls12.get(server_name)?;
            self.fresh(*stored).then(|| value.clone())
        })
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.with(|s| s.tls12.remove(server_name));
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.with(|s| {
            let tickets = s.tls13.entry(server_name).or_default();
            if tickets.len() == TICKETS_PER_SERVER {
                tickets.pop_front();
            }
            tickets.push_back((Instant::now(), value));
        });
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.with(|s| {
            let tickets = s.tls13.get_mut(server_name)?;
            tickets.retain(|(stored, _)| self.fresh(*stored));
            tickets.pop_back().map(|(_, value)| value)
        })
    }
}
