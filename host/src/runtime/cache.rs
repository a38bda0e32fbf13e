//! Compiled code kept between processes, so a command compiles the
//! component once and later starts in about a millisecond.
//!
//! Loading compiled code runs whatever it holds, so a file is loaded only
//! when this program could have written it and no one else could have
//! changed it:
//!
//! - the folder is `$XDG_CACHE_HOME/function-connection-details`, else
//!   `~/.cache/function-connection-details`, created mode 0700; it is used
//!   only while it belongs to the current user and no one else may write it;
//! - an entry's name is a digest of the component's bytes and of wasmtime's
//!   compatibility hash (version, target, compiler flags, tunables), so a
//!   different component or engine never finds another's entry; wasmtime
//!   checks the same again when it loads the file;
//! - an entry is written to a new file of mode 0600 and renamed into place,
//!   so readers see a whole file or none, and is loaded only while it is a
//!   regular file of the current user that no one else may write.
//!
//! Every failure here falls back to compiling: a read-only home or a
//! container without one costs time, never the command.
//!
//! Each new build or release of the component writes an entry of its own
//! (about 8 MB), so storing one removes all but the [`KEPT_ENTRIES`] most
//! recently written; a build whose entry went compiles once more.

use std::cmp::Reverse;
use std::ffi::OsStr;
use std::fs::{self, DirBuilder, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const FOLDER: &str = "function-connection-details";
/// Entries a folder keeps: room for a few builds used side by side.
const KEPT_ENTRIES: usize = 4;
/// An entry's name: [`NAME_BYTES`] of digest in hexadecimal, then this.
const EXTENSION: &str = "cwasm";
const NAME_BYTES: usize = 20;

/// The cache folder the conventions name, if there is a home to put it in.
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |value: std::ffi::OsString| Some(PathBuf::from(value)).filter(|path| path.is_absolute());
    let base = std::env::var_os("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| std::env::var_os("HOME").and_then(absolute).map(|home| home.join(".cache")))?;
    Some(base.join(FOLDER))
}

/// The SHA-256 digest of a component's bytes.
pub fn digest(component: &[u8]) -> [u8; 32] {
    Sha256::digest(component).into()
}

/// One component's entry in one cache folder.
pub(super) struct Entry {
    dir: PathBuf,
    path: PathBuf,
}

impl Entry {
    pub(super) fn new(dir: &Path, engine: &Engine, component_digest: &[u8; 32]) -> Self {
        let mut key = Sha256::new();
        key.update(component_digest);
        engine.precompile_compatibility_hash().hash(&mut DigestHasher(&mut key));
        let name: String = key.finalize()[..NAME_BYTES].iter().map(|byte| format!("{byte:02x}")).collect();
        Self { dir: dir.to_path_buf(), path: dir.join(format!("{name}.{EXTENSION}")) }
    }

    /// The compiled component, when a trustworthy entry exists and loads.
    pub(super) fn load(&self, engine: &Engine) -> Option<Component> {
        if !owned_and_private(&self.dir, 0o077) || !owned_and_private(&self.path, 0o022) {
            return None;
        }
        // SAFETY: the file was written by this program for this component
        // and engine (its name is their digest), belongs to the current
        // user, and may be changed by no one else; it is replaced only by
        // rename, never modified in place, so the mapping stays valid.
        unsafe { Component::deserialize_file(engine, &self.path) }.ok()
    }

    /// Stores `component`, then prunes the folder; best effort.
    pub(super) fn store(&self, component: &Component) {
        let Ok(bytes) = component.serialize() else { return };
        if self.prepare_dir() && self.write_atomically(&bytes).is_ok() {
            self.remove_older_entries();
        }
    }

    /// Removes every entry but the [`KEPT_ENTRIES`] written last (this one
    /// among them). Only files named as entries are touched.
    fn remove_older_entries(&self) {
        let Ok(listing) = fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(SystemTime, PathBuf)> = listing
            .filter_map(Result::ok)
            .filter(|item| is_entry_name(&item.file_name()))
            .filter_map(|item| Some((item.metadata().ok()?.modified().ok()?, item.path())))
            .collect();
        entries.sort_unstable_by_key(|(written, _)| Reverse(*written));
        for (_, path) in entries.into_iter().skip(KEPT_ENTRIES).filter(|(_, path)| *path != self.path) {
            let _ = fs::remove_file(path);
        }
    }

    fn prepare_dir(&self) -> bool {
        DirBuilder::new().recursive(true).mode(0o700).create(&self.dir).is_ok() && owned_and_private(&self.dir, 0o077)
    }

    fn write_atomically(&self, bytes: &[u8]) -> std::io::Result<()> {
        let temporary = self.path.with_extension(format!("{}.tmp", std::process::id()));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
            .and_then(|()| fs::rename(&temporary, &self.path));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }
}

fn is_entry_name(name: &OsStr) -> bool {
    let Some((stem, extension)) = name.to_str().and_then(|name| name.split_once('.')) else { return false };
    extension == EXTENSION
        && stem.len() == 2 * NAME_BYTES
        && stem.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// Whether `path` itself (not a link's target) belongs to the current user
/// and has none of the `forbidden` permission bits.
fn owned_and_private(path: &Path, forbidden: u32) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| {
        !meta.file_type().is_symlink()
            && meta.uid() == rustix::process::geteuid().as_raw()
            && meta.mode() & forbidden == 0
    })
}

/// Feeds what a `Hash` implementation writes into a SHA-256 digest, which,
/// unlike std's hashers, is the same in every build.
struct DigestHasher<'a>(&'a mut Sha256);

impl Hasher for DigestHasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Unused: the digest is read from the SHA-256 state instead.
    fn finish(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the preamble of the component binary format.
    const EMPTY_COMPONENT: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    fn empty_component(engine: &Engine) -> Component {
        Component::new(engine, EMPTY_COMPONENT).unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fcd-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// An engine and the empty component's entry, stored, in a fresh folder.
    fn stored_entry(name: &str) -> (PathBuf, Engine, Entry) {
        let dir = temp_dir(name);
        let engine = Engine::default();
        let entry = Entry::new(&dir, &engine, &digest(&EMPTY_COMPONENT));
        entry.store(&empty_component(&engine));
        (dir, engine, entry)
    }

    #[test]
    fn entries_differ_by_component_and_by_engine() {
        let dir = Path::new("/cache");
        let plain = Engine::default();
        let mut epochs = wasmtime::Config::new();
        epochs.epoch_interruption(true);
        let epochs = Engine::new(&epochs).unwrap();
        let a = Entry::new(dir, &plain, &digest(b"a")).path;
        assert_eq!(a, Entry::new(dir, &plain, &digest(b"a")).path, "stable");
        assert_ne!(a, Entry::new(dir, &plain, &digest(b"b")).path, "another component");
        assert_ne!(a, Entry::new(dir, &epochs, &digest(b"a")).path, "another engine configuration");
    }

    /// `render` warms the cache that `serve` reads (the container image
    /// relies on it): the pool's size must not change the entry.
    #[test]
    fn engines_sized_for_other_concurrency_share_entries() {
        let engine = |calls| {
            crate::runtime::engine::engine(&crate::runtime::Settings { concurrent_calls: calls, ..Default::default() })
                .unwrap()
        };
        let dir = Path::new("/cache");
        let digest = digest(&EMPTY_COMPONENT);
        assert_eq!(Entry::new(dir, &engine(1), &digest).path, Entry::new(dir, &engine(16), &digest).path);
    }

    #[test]
    fn a_stored_entry_is_private_and_loads() {
        let dir = temp_dir("private");
        let engine = Engine::default();
        let component = empty_component(&engine);
        let entry = Entry::new(&dir, &engine, &digest(&EMPTY_COMPONENT));
        assert!(entry.load(&engine).is_none(), "nothing stored yet");
        entry.store(&component);
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(&entry.path).unwrap().mode() & 0o777, 0o600);
        assert!(entry.load(&engine).is_some());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_entry_others_may_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, engine, entry) = stored_entry("shared");
        fs::set_permissions(&entry.path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(entry.load(&engine).is_none(), "a world-writable entry");
        fs::set_permissions(&entry.path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(entry.load(&engine).is_none(), "a world-writable folder");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Other builds' entries, written an hour apart before this one: the
    /// newest stay, the rest go, and files not named as entries are left.
    #[test]
    fn storing_an_entry_keeps_only_the_latest_few() {
        let dir = temp_dir("prune");
        DirBuilder::new().mode(0o700).create(&dir).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let older: Vec<PathBuf> = (1..=KEPT_ENTRIES + 2)
            .map(|age| {
                let path = dir.join(format!("{}.{EXTENSION}", format!("{age:x}").repeat(2 * NAME_BYTES)));
                let file = fs::File::create(&path).unwrap();
                file.set_modified(SystemTime::now() - hour * u32::try_from(age).unwrap()).unwrap();
                path
            })
            .collect();
        let foreign = ["notes.txt", "0123.cwasm", "entry.cwasm.1234.tmp"].map(|name| dir.join(name));
        for path in &foreign {
            fs::write(path, b"").unwrap();
        }

        let engine = Engine::default();
        let entry = Entry::new(&dir, &engine, &digest(&EMPTY_COMPONENT));
        entry.store(&empty_component(&engine));

        assert!(entry.load(&engine).is_some(), "the entry just stored");
        let (kept, removed) = older.split_at(KEPT_ENTRIES - 1);
        assert!(kept.iter().all(|path| path.exists()), "the newest others");
        assert!(removed.iter().all(|path| !path.exists()), "the oldest");
        assert!(foreign.iter().all(|path| path.exists()), "files that are no entry");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_entry_is_not_loaded() {
        let (dir, engine, entry) = stored_entry("damaged");
        let mut bytes = fs::read(&entry.path).unwrap();
        bytes.truncate(bytes.len() / 2);
        fs::write(&entry.path, bytes).unwrap();
        assert!(entry.load(&engine).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
