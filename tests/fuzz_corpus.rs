//! Replays, on stable Rust, every input the fuzzers kept: the corpus under
//! `fuzz/corpus/TARGET/` and each crash found and fixed under
//! `fuzz/regressions/TARGET/`, through the same entry points as
//! `cargo +nightly fuzz run TARGET`.

#[allow(dead_code)]
#[path = "../fuzz/entries.rs"]
mod entries;

use std::path::Path;

/// The fuzzers run optimised builds on an 8 MiB main thread; this test's
/// unoptimised frames are several times larger, so nested inputs (MiniJinja
/// parses templates recursively) need a larger stack here than there.
const REPLAY_STACK: usize = 64 << 20;

fn replay(target: &'static str, entry: fn(&[u8])) {
    std::thread::Builder::new()
        .stack_size(REPLAY_STACK)
        .spawn(move || replay_on_this_thread(target, entry))
        .unwrap()
        .join()
        .unwrap();
}

fn replay_on_this_thread(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for folder in ["corpus", "regressions"] {
        let Ok(files) = std::fs::read_dir(fuzz.join(folder).join(target)) else { continue };
        for file in files {
            let path = file.unwrap().path();
            // A fuzzer running beside the tests removes inputs it reduced.
            let data = match std::fs::read(&path) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                read => read.unwrap(),
            };
            let outcome = std::panic::catch_unwind(|| entry(&data));
            assert!(outcome.is_ok(), "{} fails again", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no kept inputs for {target}");
}

#[test]
fn run_function() {
    replay("run_function", entries::run_function);
}

#[test]
fn struct_json() {
    replay("struct_json", entries::struct_json);
}

#[test]
fn input() {
    replay("input", entries::input);
}

#[test]
fn field_path() {
    replay("field_path", entries::field_path);
}

#[test]
fn render() {
    replay("render", entries::render);
}

#[test]
fn derive() {
    replay("derive", entries::derive);
}
