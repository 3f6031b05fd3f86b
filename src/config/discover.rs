//! The suites a command line names: a file is itself; a directory is every `*.toml` below it,
//! walked recursively in a stable order (folders and files by name), skipping what a
//! `.runnerignore` in a walked folder lists; a glob pattern (`suites/**/*.toml`) is the files it
//! matches; `-` is standard input. `--exclude GLOB` leaves out what it matches.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::ConfigError;

/// The path that names standard input.
pub const STDIN: &str = "-";

/// The file in a folder that lists, one glob a line, what the walk leaves out there.
const IGNORE_FILE: &str = ".runnerignore";

/// Expands the command line's paths into suite files, in order, each once.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> Result<Vec<PathBuf>, ConfigError> {
    let excluded = globs(exclude)?;
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        let text = path.to_string_lossy();
        let found = if text == STDIN {
            vec![path.clone()]
        } else if is_pattern(&text) && !path.exists() {
            matching(&text)?
        } else if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found
        } else {
            vec![path.clone()]
        };
        let found: Vec<PathBuf> = found
            .into_iter()
            .filter(|f| f == path || !excluded.is_match(f))
            .collect();
        if found.is_empty() {
            return Err(ConfigError::EmptyDir { path: path.clone() });
        }
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

fn globs(patterns: &[String]) -> Result<GlobSet, ConfigError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| ConfigError::BadPattern {
            pattern: pattern.clone(),
            reason: e.kind().to_string(),
        })?;
        set.add(glob);
    }
    set.build().map_err(|e| ConfigError::BadPattern {
        pattern: patterns.join(" "),
        reason: e.to_string(),
    })
}

/// Every `*.toml` file below `dir`, folders first-to-last by name; `.runnerignore` honoured.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ConfigError> {
    let read = |error| ConfigError::Read {
        path: dir.to_owned(),
        error,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    let ignored = match std::fs::read_to_string(dir.join(IGNORE_FILE)) {
        Ok(text) => {
            let patterns: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            Some(globs(&patterns)?)
        }
        Err(_) => None,
    };
    for path in entries {
        let relative = path.strip_prefix(dir).unwrap_or(&path);
        if ignored.as_ref().is_some_and(|set| set.is_match(relative)) {
            continue;
        }
        let hidden = relative.to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden {
            walk(&path, found)?;
        } else if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            found.push(path);
        }
    }
    Ok(())
}

/// The files a glob pattern matches, walked from the part of it that holds no pattern.
fn matching(pattern: &str) -> Result<Vec<PathBuf>, ConfigError> {
    let set = globs(&[pattern.to_owned()])?;
    let base: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !is_pattern(&c.as_os_str().to_string_lossy()))
        .collect();
    let start = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    let mut all = Vec::new();
    if start.is_dir() {
        walk_all(&start, &mut all);
    }
    Ok(all
        .into_iter()
        .filter(|p| set.is_match(p.strip_prefix("./").unwrap_or(p)))
        .collect())
}

/// Every file below `dir`, in a stable order (for matching a pattern).
fn walk_all(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_all(&path, found);
        } else if path.is_file() {
            found.push(path);
        }
    }
}

/// `--shard K/N`: the K-th of N parts of a run's files, for a CI matrix of N jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

/// The most shards a run may be split into (as many as `--jobs` may run at once).
const MAX_SHARDS: usize = 1024;

impl Shard {
    /// Parses "K/N", with 1 <= K <= N <= 1024.
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage = || {
            format!("`{text}` is not K/N: write for example --shard 2/4 (the second of four parts)")
        };
        let (index, count) = text.trim().split_once('/').ok_or_else(usage)?;
        let index: usize = index.trim().parse().map_err(|_| usage())?;
        let count: usize = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "`{text}`: the number of shards must be from 1 to {MAX_SHARDS}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!("`{text}`: the shard must be from 1 to {count}"));
        }
        Ok(Self { index, count })
    }

    /// This shard's files, in the order given, and how many requests the whole run and this
    /// shard hold. Every job of a matrix computes the same split: files are dealt out by
    /// request count, largest first, each to the part with the fewest requests so far (the
    /// lowest-numbered on a tie), so the parts take about as long.
    pub fn pick(self, files: Vec<PathBuf>) -> (Vec<PathBuf>, usize, usize) {
        let counts: Vec<usize> = files.iter().map(|f| request_count(f)).collect();
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by(|a, b| counts[*b].cmp(&counts[*a]).then(a.cmp(b)));
        let mut loads = vec![0usize; self.count];
        let mut part = vec![0usize; files.len()];
        for file in order {
            let (lightest, _) = loads
                .iter()
                .enumerate()
                .min_by_key(|(i, load)| (**load, *i))
                .unwrap_or((0, &0));
            part[file] = lightest;
            loads[lightest] += counts[file].max(1);
        }
        let total = counts.iter().sum();
        let mut mine = 0;
        let picked = files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| part[*i] == self.index - 1)
            .map(|(i, file)| {
                mine += counts[i];
                file
            })
            .collect();
        (picked, total, mine)
    }
}

/// How many requests a suite file holds, read without loading it (its variables and TLS
/// material are the business of the shard that runs it). Standard input and a file that is not
/// TOML count as one.
fn request_count(path: &Path) -> usize {
    if path == Path::new(STDIN) {
        return 1;
    }
    // Not from a pipe: reading it here would leave nothing for the run.
    crate::read::bounded(path, crate::read::SUITE_LIMIT, false)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| Some(table.get("requests")?.as_array()?.len()))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn a_shard_is_k_of_n_within_bounds() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for (text, problem) in [
            ("0/3", "the shard must be from 1 to 3"),
            ("4/3", "the shard must be from 1 to 3"),
            ("1/0", "the number of shards must be from 1 to 1024"),
            ("1/2000", "the number of shards must be from 1 to 1024"),
            ("two/4", "is not K/N"),
            ("2", "is not K/N"),
        ] {
            let error = Shard::parse(text).expect_err(text);
            assert!(error.contains(problem), "{text}: {error}");
        }
    }
}
