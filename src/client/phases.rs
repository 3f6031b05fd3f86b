//! Connecting in two timed phases: the TCP connection within `connect_timeout`, then the TLS
//! handshake within `handshake_timeout`, each with its own limit and its own message. A tower
//! layer around reqwest's connector watches the connection being made; the handshake record
//! tells when TLS began.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use crate::tls::observe::Handshakes;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How often the start of the TLS handshake is looked for while connecting.
const POLL: Duration = Duration::from_millis(20);

/// Which phase of opening a connection ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The TCP connection (`connect_timeout`).
    Connect,
    /// The TLS handshake (`handshake_timeout`).
    Handshake,
}

/// A phase took longer than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseTimeout {
    pub phase: Phase,
    pub limit: Duration,
}

impl std::fmt::Display for PhaseTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.phase {
            Phase::Connect => write!(f, "the TCP connection took longer than {:?}", self.limit),
            Phase::Handshake => write!(f, "the TLS handshake took longer than {:?}", self.limit),
        }
    }
}

impl std::error::Error for PhaseTimeout {}

/// The limits, and where a TLS endpoint's handshakes are recorded (`None` for `http://`).
#[derive(Debug, Clone)]
pub struct Phases {
    pub connect: Duration,
    pub handshake: Duration,
    pub handshakes: Option<Arc<Handshakes>>,
}

impl<S> Layer<S> for Phases {
    type Service = Timed<S>;

    fn layer(&self, inner: S) -> Timed<S> {
        Timed {
            inner,
            phases: self.clone(),
        }
    }
}

/// The connector, timed by phase.
#[derive(Debug, Clone)]
pub struct Timed<S> {
    inner: S,
    phases: Phases,
}

impl<S, R> Service<R> for Timed<S>
where
    S: Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let started = Instant::now();
        let connecting = self.inner.call(request);
        let phases = self.phases.clone();
        Box::pin(async move {
            tokio::pin!(connecting);
            let connect_deadline = started + phases.connect;
            // Until TLS begins, the TCP connection is being made: look every few milliseconds.
            let mut handshake_deadline = None;
            loop {
                let next = match handshake_deadline {
                    Some(deadline) => deadline,
                    None => connect_deadline.min(Instant::now() + POLL),
                };
                tokio::select! {
                    done = &mut connecting => return done,
                    () = tokio::time::sleep_until(next) => {}
                }
                if handshake_deadline.is_some() {
                    return Err(Box::new(PhaseTimeout {
                        phase: Phase::Handshake,
                        limit: phases.handshake,
                    }) as BoxError);
                }
                let began = phases
                    .handshakes
                    .as_ref()
                    .and_then(|h| h.began_since(started.into_std()));
                match began {
                    Some(began) => {
                        handshake_deadline = Some(Instant::from_std(began) + phases.handshake);
                    }
                    None if Instant::now() >= connect_deadline => {
                        return Err(Box::new(PhaseTimeout {
                            phase: Phase::Connect,
                            limit: phases.connect,
                        }) as BoxError);
                    }
                    None => {}
                }
            }
        })
    }
}
