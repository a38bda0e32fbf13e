//! `BASELINE=path/to/connection_details.wasm`: another build of the
//! component (the previous commit's, another opt-level) to measure in the
//! same run as the embedded one, so the report reads as a ratio.

use function_connection_details::runtime::{Runtime, Settings};

pub fn baseline(settings: &Settings) -> Option<Runtime> {
    let path = std::env::var_os("BASELINE")?;
    Some(Runtime::from_file(std::path::Path::new(&path), settings).expect("BASELINE is a loadable component"))
}
