//! The WIT adapter: bytes in, bytes out, a typed error for undecodable input.

wit_bindgen::generate!({ world: "connection-details", path: "wit" });

use exports::crossplane::connection_details::function_runner::{Error, ErrorKind, Guest};

struct Component;

impl Guest for Component {
    fn run_function(request: Vec<u8>) -> Result<Vec<u8>, Error> {
        crate::function::run_function(&request).map_err(|error| Error {
            kind: ErrorKind::MalformedRequest,
            message: format!("the request is not a protobuf RunFunctionRequest: {error}"),
        })
    }
}

export!(Component);
