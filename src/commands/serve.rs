//! `runner serve`: the echo server on the command line, until interrupted.

use tracing::info;

use crate::error::Error;
use crate::serve::{Options, start};

/// `runner serve`: starts the server and runs until Ctrl-C.
pub fn run(options: &Options) -> Result<std::process::ExitCode, Error> {
    crate::report::logging::init(crate::report::logging::LogFormat::Text, 0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(async {
        let server = start(options).await.map_err(Error::Serve)?;
        let clients = match (&options.client_ca, options.require_client_cert) {
            (None, _) => "not asked for",
            (Some(_), false) => "asked for, optional",
            (Some(_), true) => "required",
        };
        info!(
            "runner serve: listening on https://{} (client certificates: {clients}); routes: /get /anything /headers /status/CODE /delay/MS /bytes/N /redirect/N /redirect-to?url=URL /response-headers?NAME=VALUE /cookies /cookies/set?NAME=VALUE /gzip /deflate /brotli /zstd /flaky/N; Ctrl-C stops",
            server.addr
        );
        let _ = tokio::signal::ctrl_c().await;
        Ok(std::process::ExitCode::SUCCESS)
    })
}
