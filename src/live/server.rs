//! A small HTTP/1.1 server for `/metrics` and `/healthz` on a thread of its own. It only
//! serves the exposition the watch loop last rendered, so a slow scraper never holds the
//! loop up; each connection is answered once and closed.

use super::metrics::CONTENT_TYPE;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest request head read.
const MAX_REQUEST: usize = 16 << 10;

/// What the server answers with, replaced by the watch loop after each poll.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    /// The OpenMetrics text of `/metrics`.
    pub metrics: String,
    /// The loop is following the files (set at start, cleared when it stops).
    pub following: bool,
}

/// Why `--listen` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("--listen {addr}: not an address and port (for example 127.0.0.1:9464)")]
    BadAddress { addr: String },
    #[error("--listen {addr}: the address is in use (another exporter, or another esmlog watch, listens there); stop it or give another port")]
    InUse { addr: String },
    #[error("--listen {addr}: cannot listen: {source}")]
    Other {
        addr: String,
        #[source]
        source: io::Error,
    },
}

/// Listens on `addr` and serves `shared` from a thread; returns the address bound (the
/// port chosen when it was 0).
pub fn serve(addr: &str, shared: Arc<Mutex<Exposition>>) -> Result<SocketAddr, ListenError> {
    let parsed: SocketAddr = addr.parse().map_err(|_| ListenError::BadAddress {
        addr: addr.to_owned(),
    })?;
    let listener = TcpListener::bind(parsed).map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse => ListenError::InUse {
            addr: addr.to_owned(),
        },
        _ => ListenError::Other {
            addr: addr.to_owned(),
            source,
        },
    })?;
    let bound = listener.local_addr().unwrap_or(parsed);
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                // One thread a connection: a client that never sends its request holds
                // up no other until its timeout.
                let _ = std::thread::Builder::new()
                    .name("metrics-client".into())
                    .spawn(move || {
                        let _ = answer(stream, &shared);
                    });
            }
        })
        .map_err(|source| ListenError::Other {
            addr: addr.to_owned(),
            source,
        })?;
    Ok(bound)
}

/// Reads one request and answers it.
fn answer(mut stream: TcpStream, shared: &Mutex<Exposition>) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let mut head = Vec::new();
    let mut block = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let n = stream.read(&mut block)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&block[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics") => {
            let metrics = shared.lock().map(|e| e.metrics.clone()).unwrap_or_default();
            ("200 OK", CONTENT_TYPE, metrics)
        }
        ("GET", "/healthz") => {
            let following = shared.lock().is_ok_and(|e| e.following);
            if following {
                ("200 OK", "text/plain; charset=utf-8", "ok\n".to_owned())
            } else {
                (
                    "503 Service Unavailable",
                    "text/plain; charset=utf-8",
                    "not following\n".to_owned(),
                )
            }
        }
        ("GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "esmlog watch serves /metrics and /healthz\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    #[test]
    fn serves_metrics_and_health_and_refuses_a_port_in_use() {
        let shared = Arc::new(Mutex::new(Exposition {
            metrics: "esm_spikes_total 0\n# EOF\n".into(),
            following: true,
        }));
        let addr = serve("127.0.0.1:0", shared.clone()).unwrap();
        let metrics = get(addr, "/metrics");
        assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
        assert!(metrics.contains(CONTENT_TYPE));
        assert!(metrics.ends_with("esm_spikes_total 0\n# EOF\n"));
        assert!(get(addr, "/healthz").starts_with("HTTP/1.1 200"));
        assert!(get(addr, "/nothing").starts_with("HTTP/1.1 404"));
        shared.lock().unwrap().following = false;
        assert!(get(addr, "/healthz").starts_with("HTTP/1.1 503"));
        let e = serve(&addr.to_string(), shared).unwrap_err().to_string();
        assert!(e.contains("in use"), "{e}");
    }
}
