//! A minimal HTTP/1.1 keep-alive client for CometBFT's URI RPC
//! (`GET /broadcast_tx_sync?tx=0x<hex>`). General HTTP clients cap a URI at
//! 64 KiB (`http::Uri`), far below a hex-encoded multi-MB tx.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest response accepted (CometBFT's broadcast answers are < 1 KiB).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// One connection to one CometBFT RPC address, reopened when it breaks.
pub struct UriClient {
    /// `host:port`.
    host: String,
    timeout: Duration,
    connection: Option<BufReader<TcpStream>>,
}

impl UriClient {
    /// A client for `url` (`http://host:port`).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let host = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?
            .trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err(format!("{url}: expected http://host:port"));
        }
        Ok(UriClient {
            host: host.to_string(),
            timeout,
            connection: None,
        })
    }

    /// `GET /broadcast_tx_sync?tx=0x<hex of tx>`: the response body.
    pub async fn broadcast_tx_sync(&mut self, tx: &[u8]) -> Result<Vec<u8>, String> {
        let mut request = Vec::with_capacity(tx.len() * 2 + 128);
        request.extend_from_slice(b"GET /broadcast_tx_sync?tx=0x");
        request.extend_from_slice(hex::encode(tx).as_bytes());
        request.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        request.extend_from_slice(self.host.as_bytes());
        request.extend_from_slice(b"\r\n\r\n");
        // A kept-alive connection the server closed fails at once: retry once
        // on a fresh one.
        let mut last = String::new();
        for _ in 0..2 {
            match tokio::time::timeout(self.timeout, self.exchange(&request)).await {
                Ok(Ok(body)) => return Ok(body),
                Ok(Err(e)) => last = e,
                Err(_) => last = format!("no answer within {:?}", self.timeout),
            }
            self.connection = None;
        }
        Err(last)
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Vec<u8>, String> {
        if self.connection.is_none() {
            let stream = TcpStream::connect(&self.host)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", self.host))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            self.connection = Some(BufReader::new(stream));
        }
        let Some(connection) = self.connection.as_mut() else {
            return Err("no connection".into());
        };
        connection
            .get_mut()
            .write_all(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let mut status = String::new();
        connection
            .read_line(&mut status)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if !status.starts_with("HTTP/1.1 ") {
            return Err(format!("not an HTTP/1.1 answer: {:?}", status.trim_end()));
        }
        let mut length = None;
        let mut close = false;
        loop {
            let mut line = String::new();
            let read = connection
                .read_line(&mut line)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if read == 0 {
                return Err("connection closed in the headers".into());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(format!("unsupported transfer encoding {value}"));
                }
            }
        }
        let length = length.ok_or("answer without Content-Length")?;
        if length > MAX_RESPONSE_BYTES {
            return Err(format!("answer of {length} bytes is too large"));
        }
        let mut body = vec![0; length];
        connection
            .read_exact(&mut body)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if close {
            self.connection = None;
        }
        if !status.contains(" 200 ") {
            return Err(format!(
                "{}: {}",
                status.trim_end(),
                String::from_utf8_lossy(&body)
            ));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn sends_hex_and_reads_answers_on_one_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut stream = BufReader::new(stream);
            let mut lines = Vec::new();
            for answer in ["{\"ok\":1}", "{\"ok\":2}"] {
                let mut request_line = String::new();
                stream.read_line(&mut request_line).await.unwrap();
                lines.push(request_line);
                loop {
                    let mut line = String::new();
                    stream.read_line(&mut line).await.unwrap();
                    if line == "\r\n" {
                        break;
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                stream
                    .get_mut()
                    .write_all(response.as_bytes())
                    .await
                    .unwrap();
            }
            lines
        });
        let mut client = UriClient::new(&format!("http://{addr}"), Duration::from_secs(5)).unwrap();
        assert_eq!(
            client.broadcast_tx_sync(&[0xab, 0x01]).await.unwrap(),
            b"{\"ok\":1}"
        );
        assert_eq!(
            client.broadcast_tx_sync(&[0xff]).await.unwrap(),
            b"{\"ok\":2}"
        );
        let lines = server.await.unwrap();
        assert_eq!(lines[0], "GET /broadcast_tx_sync?tx=0xab01 HTTP/1.1\r\n");
        assert_eq!(lines[1], "GET /broadcast_tx_sync?tx=0xff HTTP/1.1\r\n");
        assert!(UriClient::new("https://x:1", Duration::from_secs(1)).is_err());
    }
}
