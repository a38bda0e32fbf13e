//! Machine code made at build time, for a binary without a compiler.
//!
//! The container image's binary is built without Cranelift (the `compiler`
//! feature off). `package/build` first runs `precompile`, a build with a
//! compiler, which compiles the embedded component for the image's
//! architecture with the engine configuration the runtime uses
//! ([`precompile`]); the image's binary is then built with that code
//! embedded (`FUNCTION_CONNECTION_DETAILS_PRECOMPILED`, see build.rs) and
//! loads it at start ([`load`]). Such a binary neither compiles nor keeps a
//! cache: its code is part of its own file, and a root filesystem that is
//! read-only costs it nothing.
//!
//! The code is compiled for the architecture's baseline, with no CPU
//! feature of the build machine assumed, so it runs on every CPU of that
//! architecture; wasmtime checks the architecture, the CPU features and the
//! engine configuration again when it loads the code.

#[cfg(feature = "compiler")]
pub use compile::precompile;
#[cfg(not(feature = "compiler"))]
pub(super) use embedded::load;

#[cfg(feature = "compiler")]
mod compile {
    use wasmtime::Engine;

    use crate::runtime::{EMBEDDED_COMPONENT, LoadError, Settings, engine};

    /// The embedded component compiled for `target` (a target triple such
    /// as `aarch64-unknown-linux-gnu`), as a build without a compiler
    /// embeds it. Engine settings that shape compiled code are the same
    /// whatever the [`Settings`], so the default ones serve every flag.
    pub fn precompile(target: &str) -> Result<Vec<u8>, LoadError> {
        let mut config = engine::config(&Settings::default());
        config.target(target).map_err(LoadError::Configure)?;
        let engine = Engine::new(&config).map_err(LoadError::Configure)?;
        engine.precompile_component(EMBEDDED_COMPONENT).map_err(LoadError::Compile)
    }
}

#[cfg(not(feature = "compiler"))]
mod embedded {
    use wasmtime::Engine;
    use wasmtime::component::Component;

    use crate::runtime::LoadError;

    /// The component's machine code for this binary's architecture, made by
    /// `precompile` when this binary was built.
    static PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/connection_details.cwasm"));

    /// The embedded machine code, loaded into `engine`.
    pub fn load(engine: &Engine) -> Result<Component, LoadError> {
        // SAFETY: the bytes are part of this binary, made when it was built
        // by `precompile` from this workspace's component with this
        // runtime's engine configuration; whoever could change them could
        // change the binary itself. wasmtime copies them into memory it
        // owns and checks their target, CPU features and configuration.
        unsafe { Component::deserialize(engine, PRECOMPILED) }.map_err(LoadError::Precompiled)
    }
}

#[cfg(all(test, feature = "compiler"))]
mod tests {
    use wasmtime::component::Component;

    use super::*;
    use crate::runtime::{Limits, Settings, engine};

    /// The code for this machine's architecture, as `precompile` makes it
    /// for an image of it.
    fn for_this_architecture() -> Vec<u8> {
        precompile(&format!("{}-unknown-{}", std::env::consts::ARCH, std::env::consts::OS)).unwrap()
    }

    /// `serve` makes its engine from its flags (calls at once, memory and
    /// CPU limits); code made with the default settings must load into
    /// each, or the image's binary, which cannot compile, would not start.
    #[test]
    fn precompiled_code_loads_into_engines_made_for_any_flags() {
        let code = for_this_architecture();
        let flags = [
            Settings::default(),
            Settings {
                limits: Limits { memory_bytes: 1 << 30, cpu_time: std::time::Duration::from_secs(60) },
                concurrent_calls: 64,
                compiled_cache: None,
            },
        ];
        for settings in flags {
            let engine = engine::engine(&settings).unwrap();
            // SAFETY: made just above by this runtime's `precompile`.
            let loaded = unsafe { Component::deserialize(&engine, &code) };
            assert!(loaded.is_ok(), "{settings:?}: {:?}", loaded.err());
        }
    }

    /// Without the check above meaning anything, a differently configured
    /// engine would load the code too: wasmtime refuses it.
    #[test]
    fn precompiled_code_does_not_load_into_an_engine_configured_otherwise() {
        let code = for_this_architecture();
        let mut config = engine::config(&Settings::default());
        config.epoch_interruption(false);
        let engine = wasmtime::Engine::new(&config).unwrap();
        // SAFETY: as above; wasmtime refuses it before running anything.
        assert!(unsafe { Component::deserialize(&engine, &code) }.is_err());
    }
}
