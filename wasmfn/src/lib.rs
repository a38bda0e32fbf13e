//! function-wasm's guest ABI v1 around [`run_function_or_fatal`]: the host
//! asks `wasmfn_alloc` for a buffer, copies a protobuf RunFunctionRequest
//! into it and calls `wasmfn_run`, which answers with the address and length
//! of a protobuf RunFunctionResponse packed into one `i64`
//! (`address << 32 | length`).
//!
//! function-wasm hands the guest the step's own input, its
//! `wasm.fn.crossplane.io/v1beta1` `Input`, whose `config` holds this
//! function's input; the guest unwraps it. A request whose input is this
//! function's own goes to the core untouched.
//!
//! The host runs every request in a fresh instance, so neither buffer is
//! ever freed: the instance's memory goes with it.

use connection_details::function::run_function_or_fatal;
use connection_details::protocol::v1::RunFunctionRequest;
use prost::Message;
use prost_types::value::Kind;

/// function-wasm's step input, which carries ours in `config`.
const RUNNER_API_VERSION: &str = "wasm.fn.crossplane.io/v1beta1";
const RUNNER_KIND: &str = "Input";

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
    let response = match unwrapped(request) {
        Some(request) => run_function_or_fatal(&request),
        None => run_function_or_fatal(request),
    };
    let response = Box::leak(response.into_boxed_slice());
    if response.is_empty() {
        return 0;
    }
    (i64::from(address(response)) << 32) | response.len() as i64
}

/// Where a buffer starts in the 32-bit linear memory.
fn address(buffer: &mut [u8]) -> u32 {
    buffer.as_mut_ptr() as usize as u32
}

/// The request with function-wasm's `Input` replaced by its `config`, or
/// `None` when the input is not function-wasm's.
fn unwrapped(request: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = RunFunctionRequest::decode(request).ok()?;
    let input = decoded.input.as_ref()?;
    let text = |field: &str| match input.fields.get(field).and_then(|value| value.kind.as_ref()) {
        Some(Kind::StringValue(text)) => Some(text.as_str()),
        _ => None,
    };
    if text("apiVersion") != Some(RUNNER_API_VERSION) || text("kind") != Some(RUNNER_KIND) {
        return None;
    }
    let config = match input.fields.get("config").and_then(|value| value.kind.clone()) {
        Some(Kind::StructValue(config)) => Some(config),
        _ => None,
    };
    decoded.input = config;
    Some(decoded.encode_to_vec())
}
