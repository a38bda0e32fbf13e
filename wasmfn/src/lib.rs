//! function-wasm's guest ABI v1 around [`run_function_or_fatal`]: the host
//! asks `wasmfn_alloc` for a buffer, copies a protobuf RunFunctionRequest
//! into it and calls `wasmfn_run`, which answers with the address and length
//! of a protobuf RunFunctionResponse packed into one `i64`
//! (`address << 32 | length`).
//!
//! The host runs every request in a fresh instance, so neither buffer is
//! ever freed: the instance's memory goes with it.

use connection_details::function::run_function_or_fatal;

/// A zeroed buffer of `size` bytes for the request; 0 when `size` is
/// negative.
#[unsafe(no_mangle)]
pub extern "C" fn wasmfn_alloc(size: i32) -> i32 {
    let Ok(size) = usize::try_from(size) else { return 0 };
    address(Box::leak(vec![0u8; size].into_boxed_slice())) as i32
}

/// Runs the request at `pointer` (`length` bytes, in a buffer from
/// [`wasmfn_alloc`]) and returns where the response lies.
///
/// # Safety
/// The host passes a buffer `wasmfn_alloc` returned, of at least `length`
/// bytes, as the ABI requires.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmfn_run(pointer: i32, length: i32) -> i64 {
    let Ok(length) = usize::try_from(length) else { return 0 };
    let request: &[u8] = if length == 0 {
        &[]
    } else {
        // SAFETY: the ABI hands back the buffer of `wasmfn_alloc`, which
        // this instance leaked and so never freed or moved.
        unsafe { std::slice::from_raw_parts(pointer as usize as *const u8, length) }
    };
    let response = Box::leak(run_function_or_fatal(request).into_boxed_slice());
    if response.is_empty() {
        return 0;
    }
    (i64::from(address(response)) << 32) | response.len() as i64
}

/// Where a buffer starts in the 32-bit linear memory.
fn address(buffer: &mut [u8]) -> u32 {
    buffer.as_mut_ptr() as usize as u32
}
