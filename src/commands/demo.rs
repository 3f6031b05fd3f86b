//! `runner demo`: the product on a fresh machine. Starts `runner serve` in-process on a free
//! loopback port with the demo PKI, then runs every suite in `configs/` against it, as a user
//! would: `runner run SUITE --var base_url=...`, with SSL_CERT_FILE pointing at the demo CA for
//! the suite that trusts the system's store.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tracing::info;

use crate::config;
use crate::error::Error;
use crate::report::logging::{self, LogFormat};
use crate::serve;

pub fn run(configs: &Path) -> Result<ExitCode, Error> {
    logging::init(LogFormat::Text, 0);
    if !configs.is_dir() {
        return Err(Error::Usage(
            format!("{} is not a folder of example suites", configs.display()),
            "run `runner demo` from the repository's root, or pass --configs DIR".to_owned(),
        ));
    }
    let suites = config::discover(&[configs.to_path_buf()], &[])?;
    let ca = configs.join("certs/ca.crt");
    let exe = std::env::current_exe()
        .map_err(|e| Error::Demo(format!("cannot find the runner binary: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(async {
        let options = serve::Options {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            cert: None,
            // The demo CA's client certificates are accepted, and asked for without being required.
            client_ca: Some(None),
            require_client_cert: false,
            ocsp: None,
        };
        let server = serve::start(&options).await.map_err(Error::Serve)?;
        let base_url = format!("https://localhost:{}", server.addr.port());
        info!(
            "runner demo: `runner serve` listens on {base_url} with the demo certificates of {}",
            configs.join("certs").display()
        );
        let mut failed: Vec<PathBuf> = Vec::new();
        let mut worst = 0u8;
        for suite in &suites {
            info!(
                "\n== runner run {} --var base_url={base_url}",
                suite.display()
            );
            let status = tokio::process::Command::new(&exe)
                .arg("run")
                .arg(suite)
                .arg("--var")
                .arg(format!("base_url={base_url}"))
                .env("SSL_CERT_FILE", &ca)
                .env_remove("SSL_CERT_DIR")
                .status()
                .await
                .map_err(|e| Error::Demo(format!("cannot run {}: {e}", exe.display())))?;
            if !status.success() {
                failed.push(suite.clone());
                worst = worst.max(
                    status
                        .code()
                        .and_then(|c| u8::try_from(c).ok())
                        .unwrap_or(crate::error::EXIT_REQUEST_FAILED),
                );
            }
        }
        if failed.is_empty() {
            info!("\nrunner demo: {} suites passed", suites.len());
            Ok(ExitCode::SUCCESS)
        } else {
            let suites = failed.iter().map(|p| p.display().to_string()).collect();
            Err(Error::DemoFailed {
                suites,
                code: worst,
            })
        }
    })
}
