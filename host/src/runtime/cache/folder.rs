//! The cache folder, opened once by handle and trusted only as far as
//! every folder on its path is.
//!
//! A path names whatever is there when it is looked up: checking a folder
//! by path and then opening a file in it by path again lets anyone who may
//! rename a folder on the way exchange it in between (the review did, with
//! `renameat2(RENAME_EXCHANGE)`, and had its own compiled code run). So the
//! path is looked up once, a folder at a time from the root, each folder
//! opened relative to the one above with `O_NOFOLLOW` and checked with
//! `fstat` on the handle; every later operation (open, create, rename,
//! list, remove) goes through the cache folder's handle, never its path.
//!
//! The rules, those OpenSSH applies to key files (`safe_path` in misc.c),
//! with sticky folders allowed as in `/tmp`, where no one may rename what
//! is not theirs:
//!
//! - every folder above the cache folder belongs to root or the current
//!   user, and no one else may write it unless it is sticky;
//! - the cache folder belongs to the current user, and no one else may do
//!   anything in it (mode 0700 when created);
//! - an entry is a regular file of the current user that no one else may
//!   write (mode 0600 when written).
//!
//! rustix, already used for signals, has every `*at` call this needs;
//! cap-std's `Dir` would add a crate for the same calls without the checks.

use std::ffi::OsStr;
use std::fmt;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Component as PathPart, Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags, Stat, StatxFlags};
use rustix::io::Errno;

/// Why a folder or an entry is not used.
#[derive(Debug)]
pub enum Untrusted {
    /// A folder on the way, the cache folder or an entry belongs to
    /// another user.
    Owner { path: PathBuf, uid: u32 },
    /// Others may write a folder on the way, or read or write the cache
    /// folder, or write an entry.
    Mode { path: PathBuf, mode: u32 },
    /// An entry that is not a regular file.
    NotAFile { path: PathBuf },
    /// The path could not be opened: missing, a link, or not a folder.
    Open { path: PathBuf, error: Errno },
}

impl Untrusted {
    /// Whether the refusal is only that nothing is there yet.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Open { error: Errno::NOENT, .. })
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Owner { path, uid } => write!(f, "{} belongs to uid {uid}", path.display()),
            Self::Mode { path, mode } => write!(f, "{} has mode {mode:04o}, open to others", path.display()),
            Self::NotAFile { path } => write!(f, "{} is not a regular file", path.display()),
            Self::Open { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

/// An open, checked cache folder.
pub struct Folder {
    handle: OwnedFd,
    path: PathBuf,
}

/// What each kind of file must satisfy: who may own it, which mode bits
/// it must not have, and whether sticky folders are exempt from those.
struct Rule {
    root_may_own: bool,
    forbidden: u32,
    sticky_exempt: bool,
}

const ABOVE: Rule = Rule { root_may_own: true, forbidden: 0o022, sticky_exempt: true };
const CACHE_FOLDER: Rule = Rule { root_may_own: false, forbidden: 0o077, sticky_exempt: false };
const ENTRY: Rule = Rule { root_may_own: false, forbidden: 0o022, sticky_exempt: false };
const STICKY: u32 = 0o1000;

impl Folder {
    /// The folder at `path`, when it and every folder above it pass.
    pub fn open(path: &Path) -> Result<Self, Untrusted> {
        Self::walk(path, false)
    }

    /// The same, creating missing folders (mode 0700) on the way.
    pub fn create(path: &Path) -> Result<Self, Untrusted> {
        Self::walk(path, true)
    }

    /// Opens each folder of `path` relative to the one above it, checking
    /// each handle. Links are resolved first (a home under a linked
    /// `/home` is common), so the walk itself meets none and follows none:
    /// a link that appears later fails the walk.
    fn walk(path: &Path, create: bool) -> Result<Self, Untrusted> {
        let real = resolve_links(path).ok_or_else(|| Untrusted::Open { path: path.to_owned(), error: Errno::INVAL })?;
        let names: Vec<&OsStr> = real
            .components()
            .filter_map(|part| match part {
                PathPart::Normal(name) => Some(name),
                _ => None,
            })
            .collect();
        let (cache_folder, above) =
            names.split_last().ok_or_else(|| Untrusted::Open { path: real.clone(), error: Errno::INVAL })?;
        let mut walked = PathBuf::from("/");
        let mut parent = open_folder(CWD, OsStr::new("/"), &walked, OFlags::PATH, false)?;
        check(&stat(&parent, &walked)?, &walked, &ABOVE)?;
        for name in above {
            walked.push(name);
            parent = open_folder(&parent, name, &walked, OFlags::PATH, create)?;
            check(&stat(&parent, &walked)?, &walked, &ABOVE)?;
        }
        walked.push(cache_folder);
        let handle = open_folder(&parent, cache_folder, &walked, OFlags::RDONLY, create)?;
        check(&stat(&handle, &walked)?, &walked, &CACHE_FOLDER)?;
        Ok(Self { handle, path: walked })
    }

    /// The whole of entry `name`, read from the one handle that was
    /// checked. A link is refused, not followed.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, Untrusted> {
        let path = self.path.join(name);
        // O_NONBLOCK: a FIFO placed here must not hang the open; it fails
        // the regular-file check below instead.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let handle = rustix::fs::openat(&self.handle, name, flags, Mode::empty())
            .map_err(|error| Untrusted::Open { path: path.clone(), error })?;
        let status = stat(&handle, &path)?;
        if FileType::from_raw_mode(status.st_mode) != FileType::RegularFile {
            return Err(Untrusted::NotAFile { path });
        }
        check(&status, &path, &ENTRY)?;
        let mut bytes = Vec::with_capacity(usize::try_from(status.st_size).unwrap_or(0));
        std::fs::File::from(handle)
            .read_to_end(&mut bytes)
            .map_err(|error| Untrusted::Open { path, error: Errno::from_io_error(&error).unwrap_or(Errno::IO) })?;
        Ok(bytes)
    }

    /// Writes entry `name` whole or not at all: into a new file of mode
    /// 0600, renamed over `name`. The temporary file is removed on every
    /// path that does not rename it, a panic included.
    pub fn write_atomically(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let mut temporary = Temporary::create(self, name)?;
        temporary.file.write_all(bytes)?;
        temporary.file.sync_all()?;
        rustix::fs::renameat(&self.handle, &temporary.name, &self.handle, name)?;
        temporary.renamed = true;
        Ok(())
    }

    /// The names in the folder that `keep` accepts, with when each was
    /// last written, in nanoseconds since the epoch.
    pub fn list(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, i128)> {
        let Ok(listing) = Dir::read_from(&self.handle) else { return Vec::new() };
        listing
            .filter_map(Result::ok)
            .filter_map(|item| item.file_name().to_str().ok().filter(|name| keep(name)).map(str::to_owned))
            .filter_map(|name| {
                let written = rustix::fs::statx(&self.handle, &name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::MTIME)
                    .ok()?
                    .stx_mtime;
                Some((name, i128::from(written.tv_sec) * 1_000_000_000 + i128::from(written.tv_nsec)))
            })
            .collect()
    }

    pub fn remove(&self, name: &str) {
        let _ = rustix::fs::unlinkat(&self.handle, name, AtFlags::empty());
    }
}

/// A temporary file in a folder, removed when dropped unless renamed.
struct Temporary<'a> {
    folder: &'a Folder,
    name: String,
    file: std::fs::File,
    renamed: bool,
}

impl<'a> Temporary<'a> {
    /// `<entry>.<pid>.<n>.tmp`: unique among this process's threads and
    /// among processes at one time. Not `O_EXCL`: a file of that name is a
    /// leftover of a killed process of ours (the folder is ours alone),
    /// and a server that is always pid 1 in its container would otherwise
    /// never write again.
    fn create(folder: &'a Folder, entry: &str) -> std::io::Result<Self> {
        static WRITES: AtomicU32 = AtomicU32::new(0);
        let name = format!("{entry}.{}.{}.tmp", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed));
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let handle = rustix::fs::openat(&folder.handle, &name, flags, Mode::from_raw_mode(0o600))?;
        Ok(Self { folder, name, file: handle.into(), renamed: false })
    }
}

impl Drop for Temporary<'_> {
    fn drop(&mut self) {
        if !self.renamed {
            self.folder.remove(&self.name);
        }
    }
}

/// `path` with its links resolved: the longest part that exists, made
/// real, then the rest, which must be plain names.
fn resolve_links(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return Some(rest.into_iter().rev().fold(real, |path: PathBuf, name| path.join(name)));
        }
        rest.push(existing.file_name()?);
        existing = existing.parent()?;
    }
}

/// Opens folder `name` in `parent`, creating it (mode 0700) when asked to
/// and missing. `O_PATH` for the folders above: searching them needs no
/// right to list them.
fn open_folder(
    parent: impl rustix::fd::AsFd,
    name: &OsStr,
    path: &Path,
    access: OFlags,
    create: bool,
) -> Result<OwnedFd, Untrusted> {
    let flags = access | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let open = || rustix::fs::openat(&parent, name, flags, Mode::empty());
    let opened = match open() {
        Err(Errno::NOENT) if create => match rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => open(),
            Err(error) => Err(error),
        },
        opened => opened,
    };
    opened.map_err(|error| Untrusted::Open { path: path.to_owned(), error })
}

fn stat(handle: &OwnedFd, path: &Path) -> Result<Stat, Untrusted> {
    rustix::fs::fstat(handle).map_err(|error| Untrusted::Open { path: path.to_owned(), error })
}

fn check(status: &Stat, path: &Path, rule: &Rule) -> Result<(), Untrusted> {
    let me = rustix::process::geteuid().as_raw();
    if status.st_uid != me && !(rule.root_may_own && status.st_uid == 0) {
        return Err(Untrusted::Owner { path: path.to_owned(), uid: status.st_uid });
    }
    let exempt = rule.sticky_exempt && status.st_mode & STICKY != 0;
    if status.st_mode & rule.forbidden != 0 && !exempt {
        return Err(Untrusted::Mode { path: path.to_owned(), mode: status.st_mode & 0o7777 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, DirBuilder, Permissions};
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt, symlink};

    /// A fresh folder under the temporary folder (sticky, root's), removed
    /// when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!("fcd-folder-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            DirBuilder::new().mode(0o755).create(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn refusal(path: &Path) -> Untrusted {
        Folder::open(path).err().expect("refused")
    }

    #[test]
    fn a_folder_above_that_others_may_write_is_refused_unless_sticky() {
        let scratch = Scratch::new("shared");
        let shared = scratch.0.join("shared");
        DirBuilder::new().create(&shared).unwrap();
        fs::set_permissions(&shared, Permissions::from_mode(0o777)).unwrap();
        let cache = shared.join("cache");
        assert!(matches!(Folder::create(&cache), Err(Untrusted::Mode { path, mode: 0o777 }) if path == shared));
        assert!(!cache.exists(), "nothing is created under a folder refused");
        fs::set_permissions(&shared, Permissions::from_mode(0o1777)).unwrap();
        Folder::create(&cache).expect("a sticky folder, as /tmp");
        fs::set_permissions(&shared, Permissions::from_mode(0o775)).unwrap();
        assert!(matches!(refusal(&cache), Untrusted::Mode { mode: 0o775, .. }), "writable by its group");
    }

    #[test]
    fn a_folder_above_of_another_user_is_refused() {
        let Some(other) = super::super::tests::other_user() else { return };
        let scratch = Scratch::new("owner");
        let home = scratch.0.join("home");
        Folder::create(&home.join("cache")).unwrap();
        std::os::unix::fs::chown(&home, Some(other), None).unwrap();
        assert!(matches!(refusal(&home.join("cache")), Untrusted::Owner { path, uid } if path == home && uid == other));
    }

    #[test]
    fn the_cache_folder_must_be_the_user_s_and_private() {
        let scratch = Scratch::new("private");
        let cache = scratch.0.join("cache");
        Folder::create(&cache).unwrap();
        assert_eq!(fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700, "created private");
        fs::set_permissions(&cache, Permissions::from_mode(0o750)).unwrap();
        assert!(matches!(refusal(&cache), Untrusted::Mode { mode: 0o750, .. }), "open to its group");
        if let Some(other) = super::super::tests::other_user() {
            fs::set_permissions(&cache, Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&cache, Some(other), None).unwrap();
            assert!(matches!(refusal(&cache), Untrusted::Owner { .. }));
        }
    }

    /// Links are resolved before the walk, so a link to a folder that
    /// passes is used and one to a folder that does not is refused.
    #[test]
    fn a_linked_folder_is_judged_by_its_target() {
        let scratch = Scratch::new("linked");
        let target = scratch.0.join("target");
        Folder::create(&target).unwrap().write_atomically("entry", b"code").unwrap();
        let link = scratch.0.join("link");
        symlink(&target, &link).unwrap();
        assert_eq!(Folder::open(&link).unwrap().read("entry").unwrap(), b"code");
        fs::set_permissions(&target, Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(refusal(&link), Untrusted::Mode { path, .. } if path == target));
    }

    #[test]
    fn an_entry_that_is_a_link_or_no_regular_file_is_refused() {
        let scratch = Scratch::new("entries");
        let folder = Folder::create(&scratch.0.join("cache")).unwrap();
        folder.write_atomically("real", b"code").unwrap();
        symlink(scratch.0.join("cache/real"), scratch.0.join("cache/link")).unwrap();
        assert!(matches!(folder.read("link"), Err(Untrusted::Open { error: Errno::LOOP, .. })), "not followed");
        rustix::fs::mkfifoat(&folder.handle, "fifo", Mode::from_raw_mode(0o600)).unwrap();
        assert!(matches!(folder.read("fifo"), Err(Untrusted::NotAFile { .. })), "not waited on");
        assert_eq!(folder.read("real").unwrap(), b"code");
    }

    /// A write that cannot be renamed into place (here a folder holds the
    /// entry's name) fails, and leaves the folder as it was.
    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let scratch = Scratch::new("failed");
        let cache = scratch.0.join("cache");
        let folder = Folder::create(&cache).unwrap();
        DirBuilder::new().create(cache.join("entry")).unwrap();
        fs::write(cache.join("entry/inside"), b"").unwrap();
        assert!(folder.write_atomically("entry", b"code").is_err());
        let names: Vec<String> = folder.list(|name| !name.starts_with('.')).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["entry"]);
    }
}
