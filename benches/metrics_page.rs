//! The server's `/metrics` page over plain HTTP/1.1, for the soak and the
//! host's process tests, which read its counters.

use std::io::{Read, Write};
use std::net::TcpStream;

pub fn metrics_page(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut page = String::new();
    stream.read_to_string(&mut page)?;
    Ok(page)
}
