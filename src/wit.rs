//! The WIT adapter: converts between WIT types and the crate's own, and
//! nothing else.

wit_bindgen::generate!({ world: "connection-details", path: "wit" });

use exports::crossplane::connection_details::function_runner::{self, ErrorKind};
use exports::crossplane::connection_details::renderer::{
    self, ConvertRequest, Converted, InputError, OutputFormat, RenderOptions, RenderRequest, Rendered,
};

use crate::render;

struct Component;

impl function_runner::Guest for Component {
    fn run_function(request: Vec<u8>) -> Result<Vec<u8>, function_runner::Error> {
        crate::function::run_function(&request).map_err(|error| function_runner::Error {
            kind: ErrorKind::MalformedRequest,
            message: crate::function::describe_malformed(&error),
        })
    }
}

impl renderer::Guest for Component {
    fn render(request: RenderRequest, format: OutputFormat) -> Result<Rendered, InputError> {
        let request = render_request(request);
        let format = match format {
            OutputFormat::Yaml => render::Format::Yaml,
            OutputFormat::Json => render::Format::Json,
            OutputFormat::Table => render::Format::Table,
        };
        render::render(&request, format)
            .map(|rendered| Rendered { output: rendered.output, fatal: rendered.fatal })
            .map_err(input_error)
    }

    fn function_request(request: RenderRequest) -> Result<Vec<u8>, InputError> {
        render::function_request(&render_request(request)).map_err(input_error)
    }

    fn convert(request: ConvertRequest) -> Result<Converted, InputError> {
        let request = crate::convert::ConvertRequest {
            composition: Some(file(request.composition)),
            xrd: request.xrd.map(file),
            function_name: request.function_name,
            force: request.force,
        };
        crate::convert::convert(&request)
            .map(|converted| Converted {
                output: converted.output,
                notes: converted.notes,
                changed: converted.changed,
                problems: converted.problems,
            })
            .map_err(input_error)
    }
}

fn render_request(request: RenderRequest) -> render::RenderRequest {
    let options =
        request.options.unwrap_or(RenderOptions { functions: Vec::new(), context: Vec::new(), include_context: false });
    render::RenderRequest {
        composite: Some(file(request.composite)),
        composition: Some(file(request.composition)),
        observed_resources: request.observed_resources.into_iter().map(file).collect(),
        secrets: request.secrets.into_iter().map(file).collect(),
        required_resources: request.required_resources.into_iter().map(file).collect(),
        xrd: request.xrd.map(file),
        claim: request.claim.map(file),
        function_name: request.function_name,
        functions: options.functions.into_iter().map(file).collect(),
        context: options
            .context
            .into_iter()
            .map(|entry| render::ContextEntry { key: entry.key, value: file(entry.value) })
            .collect(),
        include_context: options.include_context,
    }
}

fn input_error(error: render::RenderError) -> InputError {
    InputError { file: error.file, line: error.line, message: error.message }
}

fn file(file: renderer::File) -> render::File {
    render::File { name: file.name, text: file.text }
}

export!(Component);
