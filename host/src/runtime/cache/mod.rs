//! Compiled code kept between processes, so a command compiles the
//! component once and later starts in about a millisecond.
//!
//! Loading compiled code runs whatever it holds, so a file is loaded only
//! when this program could have written it and no one else could have
//! changed it, checked on the very handle it is read from ([`folder`]):
//!
//! - the folder is `$XDG_CACHE_HOME/function-connection-details`, else
//!   `~/.cache/function-connection-details`, created mode 0700; it is used
//!   only while it belongs to the current user, no one else may use it, and
//!   every folder above it belongs to root or the user and is not writable
//!   by others (unless sticky, as `/tmp`);
//! - an entry's name is a digest of the component's bytes and of wasmtime's
//!   compatibility hash (version, target, compiler flags, tunables), so a
//!   different component or engine never finds another's entry; wasmtime
//!   checks the same again when it loads the bytes;
//! - an entry is written to a new file of mode 0600 and renamed into place,
//!   so readers see a whole file or none, and is loaded only while it is a
//!   regular file of the current user that no one else may write.
//!
//! Every failure here falls back to compiling: a read-only home or a
//! container without one costs time, never the command. A folder refused
//! as untrustworthy is logged as a warning (seen under `serve`).
//!
//! Each new build or release of the component writes an entry of its own
//! (about 8 MB), so storing one removes all but the [`KEPT_ENTRIES`] most
//! recently written; a build whose entry went compiles once more.

mod folder;

use std::cmp::Reverse;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use folder::{Folder, Untrusted};

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
    name: String,
}

impl Entry {
    pub(super) fn new(dir: &Path, engine: &Engine, component_digest: &[u8; 32]) -> Self {
        let mut key = Sha256::new();
        key.update(component_digest);
        engine.precompile_compatibility_hash().hash(&mut DigestHasher(&mut key));
        let name: String = key.finalize()[..NAME_BYTES].iter().map(|byte| format!("{byte:02x}")).collect();
        Self { dir: dir.to_path_buf(), name: format!("{name}.{EXTENSION}") }
    }

    /// The compiled component, when a trustworthy entry exists and loads.
    pub(super) fn load(&self, engine: &Engine) -> Option<Component> {
        let bytes = Folder::open(&self.dir).and_then(|folder| folder.read(&self.name)).map_err(note).ok()?;
        // SAFETY: the bytes were read from a file this program wrote for
        // this component and engine (its name is their digest), which
        // belongs to the current user and which no one else may change, in
        // a folder no one else may change, opened through folders no one
        // else may change. wasmtime copies them, so nothing can change
        // them afterwards either.
        unsafe { Component::deserialize(engine, &bytes) }.ok()
    }

    /// Stores `component`, then prunes the folder; best effort.
    pub(super) fn store(&self, component: &Component) {
        let Ok(bytes) = component.serialize() else { return };
        let Ok(folder) = Folder::create(&self.dir).map_err(note) else { return };
        if folder.write_atomically(&self.name, &bytes).is_ok() {
            self.remove_older_entries(&folder);
        }
    }

    /// Removes every entry but the [`KEPT_ENTRIES`] written last (this one
    /// among them). Only files named as entries are touched.
    fn remove_older_entries(&self, folder: &Folder) {
        let mut entries = folder.list(is_entry_name);
        entries.sort_unstable_by_key(|(_, written)| Reverse(*written));
        for (name, _) in entries.into_iter().skip(KEPT_ENTRIES).filter(|(name, _)| *name != self.name) {
            folder.remove(&name);
        }
    }
}

/// A folder or entry refused is worth a warning; one not there yet is not.
fn note(refusal: Untrusted) -> Untrusted {
    if refusal.is_missing() {
        tracing::debug!(%refusal, "compiled-code cache: nothing there yet");
    } else {
        tracing::warn!(%refusal, "compiled-code cache not used; compiling instead");
    }
    refusal
}

fn is_entry_name(name: &str) -> bool {
    let Some((stem, extension)) = name.split_once('.') else { return false };
    extension == EXTENSION
        && stem.len() == 2 * NAME_BYTES
        && stem.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
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
    use std::ffi::OsStr;
    use std::fs::{self, DirBuilder};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    use std::time::SystemTime;

    impl Entry {
        fn path(&self) -> PathBuf {
            self.dir.join(&self.name)
        }
    }

    /// A second user, for the tests that need one: `nobody`, when this
    /// process is root and so may act as anyone. Elsewhere those tests are
    /// skipped with a note, except in CI, where a skip would hide them.
    pub(super) fn other_user() -> Option<u32> {
        if rustix::process::geteuid().is_root() {
            return Some(65534);
        }
        assert!(std::env::var_os("CI").is_none(), "this test needs root, to act as a second user");
        eprintln!("skipped: this test needs root, to act as a second user");
        None
    }

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
        let a = Entry::new(dir, &plain, &digest(b"a")).path();
        assert_eq!(a, Entry::new(dir, &plain, &digest(b"a")).path(), "stable");
        assert_ne!(a, Entry::new(dir, &plain, &digest(b"b")).path(), "another component");
        assert_ne!(a, Entry::new(dir, &epochs, &digest(b"a")).path(), "another engine configuration");
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
        assert_eq!(Entry::new(dir, &engine(1), &digest).path(), Entry::new(dir, &engine(16), &digest).path());
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
        assert_eq!(fs::metadata(entry.path()).unwrap().mode() & 0o777, 0o600);
        assert!(entry.load(&engine).is_some());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_entry_others_may_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, engine, entry) = stored_entry("shared");
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o666)).unwrap();
        assert!(entry.load(&engine).is_none(), "a world-writable entry");
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600)).unwrap();
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

    /// The review's attack, as two local users: the victim (this process,
    /// root) keeps its cache in a folder another user owns (a home used
    /// through `sudo -E`), and that user exchanges the victim's checked
    /// cache folder with one of their own, holding their own compiled code
    /// under the victim's entry name, over and over (`renameat2` with
    /// `RENAME_EXCHANGE`), while the victim loads and stores as
    /// `compile_or_reuse` does. Bounded by [`race::DURATION`].
    #[test]
    fn an_exchanged_folder_never_loads_a_foreign_entry() {
        let Some(attack) = race::Attack::prepare() else { return };
        let engine = Engine::default();
        let own = empty_component(&engine);
        let entry = Entry::new(&attack.folder, &engine, &digest(&EMPTY_COMPONENT));
        let attacker = attack.start();
        let (mut attempts, mut foreign) = (0u64, 0u64);
        let deadline = std::time::Instant::now() + race::DURATION;
        while std::time::Instant::now() < deadline && foreign == 0 {
            attempts += 1;
            match entry.load(&engine) {
                Some(loaded) if race::is_foreign(&engine, &loaded) => foreign += 1,
                Some(_) => {}
                None => entry.store(&own),
            }
        }
        let exchanges = attack.stop(attacker);
        assert!(exchanges > 0, "the attacker exchanged the folders");
        assert_eq!(foreign, 0, "loaded the attacker's entry after {attempts} attempts ({exchanges} exchanges)");
        assert_eq!(attack.temporary_files(), Vec::<PathBuf>::new(), "a lost race left temporary files");
        eprintln!("{attempts} loads against {exchanges} exchanges; no foreign entry loaded");
    }

    /// The attacker's side of [`an_exchanged_folder_never_loads_a_foreign_entry`],
    /// run by that test as a process of another user; alone it does nothing.
    #[test]
    #[ignore = "the attacking process of an_exchanged_folder_never_loads_a_foreign_entry"]
    fn exchange_attacker() {
        race::exchange_until_stopped();
    }

    #[test]
    fn a_damaged_entry_is_not_loaded() {
        let (dir, engine, entry) = stored_entry("damaged");
        let mut bytes = fs::read(entry.path()).unwrap();
        bytes.truncate(bytes.len() / 2);
        fs::write(entry.path(), bytes).unwrap();
        assert!(entry.load(&engine).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The two users of the exchange race: the folders, the attacker's
    /// process and what it leaves.
    mod race {
        use super::*;
        use std::os::unix::process::CommandExt;
        use std::process::{Child, Command, Stdio};
        use std::time::Duration;

        /// How long the victim tries. The code this test came with
        /// replaced, which checked by path, lost on attempt 2 to 37 (within
        /// 0.4 s) in each of eleven runs.
        pub(super) const DURATION: Duration = Duration::from_secs(3);
        const FOLDER_VAR: &str = "FCD_RACE_FOLDER";
        const DECOY_VAR: &str = "FCD_RACE_DECOY";
        const STOP_VAR: &str = "FCD_RACE_STOP";
        const ENTRY_VAR: &str = "FCD_RACE_ENTRY";

        /// The attacker's home, the victim's cache folder in it, and the
        /// attacker's decoy holding their own code under the victim's
        /// entry name.
        pub(super) struct Attack {
            attacker: u32,
            home: PathBuf,
            pub(super) folder: PathBuf,
            entry_name: std::ffi::OsString,
            decoy: PathBuf,
            stop: PathBuf,
        }

        impl Attack {
            /// `None` when this process cannot act as two users.
            pub(super) fn prepare() -> Option<Self> {
                let attacker = other_user()?;
                let home = temp_dir("race");
                let folder = home.join(FOLDER);
                let engine = Engine::default();
                let entry_name = Entry::new(&folder, &engine, &digest(&EMPTY_COMPONENT)).name.into();
                let attack = Self {
                    attacker,
                    folder,
                    entry_name,
                    decoy: home.join("decoy"),
                    stop: home.with_extension("stop"),
                    home,
                };
                let _ = fs::remove_file(&attack.stop);
                DirBuilder::new().mode(0o755).create(&attack.home).unwrap();
                DirBuilder::new().mode(0o700).create(&attack.decoy).unwrap();
                // The victim's own folder and entry, as a cache written
                // before the folder above changed hands would leave them.
                DirBuilder::new().mode(0o700).create(&attack.folder).unwrap();
                let own = empty_component(&engine).serialize().unwrap();
                fs::write(attack.folder.join(&attack.entry_name), own).unwrap();
                let foreign = Component::new(&engine, wat::parse_str(FOREIGN).unwrap()).unwrap().serialize().unwrap();
                let planted = attack.decoy.join(&attack.entry_name);
                fs::write(&planted, foreign).unwrap();
                for path in [&attack.home, &attack.decoy, &planted] {
                    std::os::unix::fs::chown(path, Some(attacker), Some(attacker)).unwrap();
                }
                Some(attack)
            }

            /// This test binary again, running [`exchange_attacker`] as the
            /// attacker.
            pub(super) fn start(&self) -> Child {
                Command::new(std::env::current_exe().unwrap())
                    .args(["--exact", "runtime::cache::tests::exchange_attacker", "--ignored", "--nocapture"])
                    .args(["--test-threads", "1"])
                    .env(FOLDER_VAR, &self.folder)
                    .env(DECOY_VAR, &self.decoy)
                    .env(STOP_VAR, &self.stop)
                    .env(ENTRY_VAR, &self.entry_name)
                    .uid(self.attacker)
                    .gid(self.attacker)
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            }

            /// Stops the attacker; how many exchanges it made.
            pub(super) fn stop(&self, attacker: Child) -> u64 {
                fs::write(&self.stop, b"").unwrap();
                let output = attacker.wait_with_output().unwrap();
                let text = String::from_utf8_lossy(&output.stdout);
                text.lines().find_map(|line| line.split_once("exchanges: ")?.1.parse().ok()).unwrap_or(0)
            }

            /// Files other than entries in either folder.
            pub(super) fn temporary_files(&self) -> Vec<PathBuf> {
                [&self.folder, &self.decoy]
                    .into_iter()
                    .flat_map(|dir| fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok))
                    .map(|item| item.path())
                    .filter(|path| path.extension().is_some_and(|extension| extension == "tmp"))
                    .collect()
            }
        }

        impl Drop for Attack {
            fn drop(&mut self) {
                let _ = fs::remove_dir_all(&self.home);
                let _ = fs::remove_file(&self.stop);
            }
        }

        /// The attacker's code: a component with an import the victim's
        /// has not.
        const FOREIGN: &str = r#"(component (import "attacker" (func)))"#;

        pub(super) fn is_foreign(engine: &Engine, loaded: &Component) -> bool {
            loaded.component_type().imports(engine).any(|(name, _)| name == "attacker")
        }

        /// Exchanges the two folders until the stop file appears (or a
        /// minute passes, should the victim have died), then prints the
        /// count. Between rounds it plants its code again wherever the
        /// victim, storing into the folder it was handed, replaced it.
        pub(super) fn exchange_until_stopped() {
            let (Some(folder), Some(decoy), Some(stop), Some(name)) = (
                std::env::var_os(FOLDER_VAR),
                std::env::var_os(DECOY_VAR),
                std::env::var_os(STOP_VAR),
                std::env::var_os(ENTRY_VAR),
            ) else {
                return;
            };
            let (folder, decoy) = (PathBuf::from(folder), PathBuf::from(decoy));
            let code = fs::read(decoy.join(&name)).unwrap();
            let give_up = std::time::Instant::now() + Duration::from_secs(60);
            let mut exchanges = 0u64;
            while std::time::Instant::now() < give_up && !Path::new(&stop).exists() {
                for _ in 0..256 {
                    let cwd = rustix::fs::CWD;
                    if rustix::fs::renameat_with(cwd, &folder, cwd, &decoy, rustix::fs::RenameFlags::EXCHANGE).is_ok() {
                        exchanges += 1;
                    }
                }
                for dir in [&folder, &decoy] {
                    plant_again(dir, &name, &code);
                }
            }
            println!("exchanges: {exchanges}");
        }

        /// Writes `code` as `name` in `dir` when `dir` is the attacker's
        /// and holds the victim's file there instead.
        fn plant_again(dir: &Path, name: &OsStr, code: &[u8]) {
            let me = rustix::process::geteuid().as_raw();
            let theirs = |path: &Path| fs::symlink_metadata(path).is_ok_and(|meta| meta.uid() != me);
            if fs::symlink_metadata(dir).is_ok_and(|meta| meta.uid() == me) && theirs(&dir.join(name)) {
                let planted = dir.join("planted");
                let _ = fs::write(&planted, code).and_then(|()| fs::rename(&planted, dir.join(name)));
            }
        }
    }
}
