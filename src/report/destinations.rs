//! Where results go, made ready before anything is sent: report files and `output` files get
//! their folders (as curl's `--create-dirs` and Hurl do), and each is shown to be writable by
//! creating its temporary file. A destination that cannot be written, or one named by two
//! requests, is invalid input: nothing is sent.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::files::ReportFile;
use super::sink::{in_place, temporary_name};
use crate::diagnostic::Diagnostic;
use crate::words::io_reason;

/// A report file ready to be written: its temporary file exists.
#[derive(Debug)]
pub struct ReadyReport {
    pub report: ReportFile,
    temporary: PathBuf,
    file: Option<File>,
}

impl ReadyReport {
    /// Writes the report's text and gives it its name.
    pub fn write(mut self, text: &str) -> Result<(), String> {
        use std::io::Write;
        let path = self.report.path().to_owned();
        let written = match self.file.take() {
            Some(mut file) => file
                .write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .and_then(|()| std::fs::rename(&self.temporary, &path)),
            None => Ok(()),
        };
        written.map_err(|e| {
            format!(
                "cannot write the report {}: {}",
                path.display(),
                io_reason(&e)
            )
        })
    }
}

impl Drop for ReadyReport {
    fn drop(&mut self) {
        // Not written: no temporary file is left behind.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Creates `path`'s folder and shows that a file can be written there, with the temporary
/// file it will be written under.
fn prepare(path: &Path) -> Result<(PathBuf, File), std::io::Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Some(file) = parent.ancestors().find(|a| a.is_file()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is a file, not a folder", file.display()),
            ));
        }
        std::fs::create_dir_all(parent)?;
    }
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory",
        ));
    }
    let temporary = temporary_name(path);
    let file = File::create(&temporary)?;
    Ok((temporary, file))
}

/// Makes every `--report` destination ready.
pub fn reports(reports: &[ReportFile]) -> Result<Vec<ReadyReport>, Diagnostic> {
    let mut ready = Vec::new();
    for report in reports {
        let (temporary, file) = prepare(report.path()).map_err(|e| {
            Diagnostic::plain(format!(
                "cannot write the report {}: {}",
                report.path().display(),
                io_reason(&e)
            ))
            .help("choose a path in a folder that can be written; missing folders are created")
        })?;
        ready.push(ReadyReport {
            report: report.clone(),
            temporary,
            file: Some(file),
        });
    }
    Ok(ready)
}

/// An `output` file a request writes.
#[derive(Debug)]
pub struct OutputUse<'a> {
    pub path: &'a Path,
    /// The request's diagnostic place: where the suite names the file.
    pub at: Diagnostic,
    pub request: &'a str,
    pub suite: &'a Path,
}

/// Checks the `output` files of every request of a run: each named once, and writable. A
/// device or pipe is written in place: it is opened for writing to show it can be.
pub fn outputs(uses: Vec<OutputUse<'_>>) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for (index, one) in uses.iter().enumerate() {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        if let Some(first) = uses
            .get(..index)
            .unwrap_or_default()
            .iter()
            .find(|other| absolute(other.path) == absolute(one.path))
        {
            errors.push(one.at.clone().with_message(format!(
                "request \"{}\" writes its output to {}, as request \"{}\" of {} does",
                one.request,
                one.path.display(),
                first.request,
                first.suite.display()
            )).help("two requests writing one file would mix or overwrite each other: give each its own `output` path"));
            continue;
        }
        if in_place(one.path) {
            if let Err(error) = std::fs::OpenOptions::new().write(true).open(one.path) {
                errors.push(one.at.clone().with_message(format!(
                    "cannot write the output file {}: {}",
                    one.path.display(),
                    io_reason(&error)
                )));
            }
            continue;
        }
        match prepare(one.path) {
            Ok((temporary, file)) => {
                drop(file);
                let _ = std::fs::remove_file(temporary);
            }
            Err(error) => errors.push(
                one.at
                    .clone()
                    .with_message(format!(
                        "cannot write the output file {}: {}",
                        one.path.display(),
                        io_reason(&error)
                    ))
                    .help("choose a path in a folder that can be written; missing folders are created"),
            ),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
