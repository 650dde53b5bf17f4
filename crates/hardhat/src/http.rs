//! A minimal blocking JSON-RPC-over-HTTP client (one request per connection), enough to tell when
//! the node is up without pulling an HTTP stack into this crate.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

use serde_json::{Value, json};

use crate::HardhatError;

/// How long one request may take (connect, write, read).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends one JSON-RPC request to the node listening on `addr` (path `/`) and returns its `result`.
///
/// A JSON-RPC error object, an I/O or HTTP failure, or an answer that is not JSON-RPC becomes
/// [`HardhatError::Rpc`].
pub fn json_rpc(addr: SocketAddr, method: &str, params: &Value) -> Result<Value, HardhatError> {
    exchange(addr, method, params).map_err(|detail| HardhatError::Rpc { method: method.to_string(), addr, detail })
}

fn exchange(addr: SocketAddr, method: &str, params: &Value) -> Result<Value, String> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).map_err(|e| format!("set read timeout: {e}"))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).map_err(|e| format!("set write timeout: {e}"))?;
    // HTTP/1.0 with `Connection: close`: the server sends a plain body and closes, so reading to the end
    // is the whole response (chunked bodies are still decoded, in case a server uses them anyway).
    let request = format!(
        "POST / HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(|e| format!("read answer: {e}"))?;
    let body = http_body(&response)?;
    let mut answer: Value = serde_json::from_slice(&body).map_err(|e| format!("answer is not JSON: {e}"))?;
    if let Some(error) = answer.get("error") {
        return Err(format!("error {error}"));
    }
    answer.get_mut("result").map(Value::take).ok_or_else(|| format!("answer has no result: {answer}"))
}

/// The body of a complete HTTP/1.x response, after checking for status 200.
fn http_body(response: &[u8]) -> Result<Vec<u8>, String> {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("incomplete HTTP response")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let body = &response[split + 4..];
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("HTTP status {status:?}"));
    }
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked { dechunk(body) } else { Ok(body.to_vec()) }
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_bodies_decode() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"result\":\"0x7a69\"}";
        assert_eq!(http_body(plain).expect("plain body"), b"{\"result\":\"0x7a69\"}");

        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"res\r\nE\r\nult\":\"0x7a69\"}\r\n0\r\n\r\n";
        assert_eq!(http_body(chunked).expect("chunked body"), b"{\"result\":\"0x7a69\"}");

        assert!(http_body(b"HTTP/1.1 500 Internal Server Error\r\n\r\n").is_err());
    }
}
