//! What more than one test binary needs: a plain HTTP GET over loopback (the watch's
//! `/metrics` and Prometheus's query API).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The head and body of `GET path` on 127.0.0.1:`port`, or None while nothing answers.
/// A chunked body is taken as the one chunk small answers come in.
pub fn fetch(port: u16, path: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let (_, rest) = body.split_once("\r\n")?;
        rest.rsplit_once("\r\n0\r\n")?.0
    } else {
        body
    };
    Some((head.to_owned(), body.to_owned()))
}
