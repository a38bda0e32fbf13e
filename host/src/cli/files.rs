//! The one way every subcommand reads the files it is given and writes the
//! file it is asked to: `-` is standard input (for one argument of a
//! command, since it can be read once), a folder is its `.yaml`/`.yml`
//! files, and a file written in place is replaced whole, never half.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::Failure;
use crate::runtime::File;

/// What `-` reads.
pub const STDIN_NAME: &str = "standard input";

/// Reads the files of one command; standard input at most once.
pub struct Files<'io> {
    stdin: &'io mut dyn Read,
    /// The argument that read standard input.
    stdin_read_by: Option<String>,
}

impl<'io> Files<'io> {
    pub fn new(stdin: &'io mut dyn Read) -> Self {
        Self { stdin, stdin_read_by: None }
    }

    /// The bytes of `path`, for the argument `argument` (`XR`, `--xrd`).
    pub fn bytes(&mut self, path: &Path, argument: &str) -> Result<Vec<u8>, Failure> {
        if !is_stdin(path) {
            return std::fs::read(path)
                .map_err(|error| Failure::unusable(format!("{}: cannot read: {}", path.display(), os_reason(&error))));
        }
        if let Some(first) = &self.stdin_read_by {
            return Err(Failure::unusable(format!(
                "{argument} and {first} both read standard input (-); it can be read once, so give one of them a file"
            )));
        }
        self.stdin_read_by = Some(argument.to_owned());
        let mut bytes = Vec::new();
        self.stdin
            .read_to_end(&mut bytes)
            .map_err(|error| Failure::unusable(format!("{STDIN_NAME}: cannot read: {}", os_reason(&error))))?;
        Ok(bytes)
    }

    /// A text file.
    pub fn file(&mut self, path: &Path, argument: &str) -> Result<File, Failure> {
        let bytes = self.bytes(path, argument)?;
        let name = display(path);
        let text = String::from_utf8(bytes).map_err(|_| Failure::unusable(format!("{name}: not UTF-8 text")))?;
        Ok(File { name, text })
    }

    /// Each PATH's files: the file itself (or standard input), or a folder's
    /// .yaml and .yml files in name order.
    pub fn paths(&mut self, paths: &[PathBuf], argument: &str) -> Result<Vec<File>, Failure> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                for file in yaml_files(path)? {
                    files.push(self.file(&file, argument)?);
                }
            } else {
                files.push(self.file(path, argument)?);
            }
        }
        Ok(files)
    }
}

fn yaml_files(folder: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(folder)
        .map_err(|error| Failure::unusable(format!("{}: cannot list: {}", folder.display(), os_reason(&error))))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How messages name a file: its path, or "standard input" for `-`.
pub fn display(path: &Path) -> String {
    if is_stdin(path) { STDIN_NAME.to_owned() } else { path.display().to_string() }
}

/// The operating system's reason without Rust's "(os error 2)" suffix.
pub fn os_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" (os error ") {
        Some((reason, _)) => reason.to_owned(),
        None => text,
    }
}

/// Replaces `path` with `content`: written to a temporary file beside it,
/// then renamed over it, so a reader sees the old file or the new one and
/// an interrupted write leaves the old one. The file keeps its permissions.
pub fn replace(path: &Path, content: &[u8]) -> Result<(), Failure> {
    let fail = |what: &str, error: std::io::Error| {
        Failure::unusable(format!("{}: cannot {what}: {}; the file is unchanged", path.display(), os_reason(&error)))
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create_new(&temporary).and_then(|mut file| {
        file.write_all(content)?;
        if let Ok(metadata) = std::fs::metadata(path) {
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail("write", error));
    }
    Ok(())
}
