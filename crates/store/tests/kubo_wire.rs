//! The bytes `KuboClient` puts on the wire, checked by a tiny loopback HTTP server that parses them the
//! way Kubo's RPC API does and answers in Kubo's format.

use std::collections::BTreeMap;
use std::sync::Arc;

use automat_store::{Cid, KuboClient, StoreError, content_cid, parse_cid};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One HTTP request as the server received it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// One part of a multipart/form-data body.
#[derive(Debug)]
struct Part {
    headers: BTreeMap<String, String>,
    content: Vec<u8>,
}

struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: String) -> Self {
        Self { status, content_type: "application/json", body: body.into_bytes() }
    }
}

/// A loopback server: every request is handed to `handler`, answered, and reported on the channel.
async fn serve(
    handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
) -> Result<(String, mpsc::UnboundedReceiver<Request>), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Err(e) = handle(stream, &*handler, &tx).await {
                    eprintln!("test server: {e}");
                }
            });
        }
    });
    Ok((url, rx))
}

async fn handle(
    stream: TcpStream,
    handler: &(dyn Fn(&Request) -> Answer + Send + Sync),
    tx: &mpsc::UnboundedSender<Request>,
) -> Result<(), BoxError> {
    let mut reader = BufReader::new(stream);
    let request = read_request(&mut reader).await?;
    let answer = handler(&request);
    let _ = tx.send(request);
    let reason = if answer.status == 200 { "OK" } else { "Internal Server Error" };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Chunked-Output: 1\r\n\
         Connection: close\r\n\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    let stream = reader.get_mut();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&answer.body).await?;
    stream.shutdown().await?;
    Ok(())
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Request, BoxError> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut words = line.split_whitespace();
    let method = words.next().ok_or("no method")?.to_owned();
    let target = words.next().ok_or("no target")?.to_owned();
    if words.next() != Some("HTTP/1.1") {
        return Err(format!("not HTTP/1.1: {line:?}").into());
    }

    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("malformed header")?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }

    let body = if let Some(length) = headers.get("content-length") {
        let mut body = vec![0; length.parse()?];
        reader.read_exact(&mut body).await?;
        body
    } else if headers.get("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).await?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
        body
    } else {
        Vec::new()
    };

    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Ok(Request { method, path: path.to_owned(), query, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Parses a multipart/form-data body (RFC 7578) into its parts.
fn parse_multipart(request: &Request) -> Result<Vec<Part>, BoxError> {
    let content_type = request.headers.get("content-type").ok_or("no content-type")?;
    let boundary = content_type
        .strip_prefix("multipart/form-data;")
        .and_then(|params| params.trim().strip_prefix("boundary="))
        .ok_or_else(|| format!("not multipart/form-data with a boundary: {content_type}"))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = &request.body[..];
    let start = find(rest, &delimiter).ok_or("no opening boundary")?;
    rest = &rest[start + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or("boundary not followed by CRLF")?;
        let end_of_headers = find(rest, b"\r\n\r\n").ok_or("part headers never end")?;
        let mut headers = BTreeMap::new();
        for line in std::str::from_utf8(&rest[..end_of_headers])?.split("\r\n") {
            let (name, value) = line.split_once(':').ok_or("malformed part header")?;
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        rest = &rest[end_of_headers + 4..];
        let mut next = b"\r\n".to_vec();
        next.extend_from_slice(&delimiter);
        let end = find(rest, &next).ok_or("part never ends")?;
        parts.push(Part { headers, content: rest[..end].to_vec() });
        rest = &rest[end + next.len()..];
    }
}

/// CIDv1 raw sha2-256 written out by hand: `b` + base32-lower(0x01 0x55 0x12 0x20 ‖ sha256).
fn independent_cid(content: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
    bytes.extend_from_slice(&Sha256::digest(content));
    let mut out = String::from("b");
    for group in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..group.len()].copy_from_slice(group);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (group.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// A Kubo imitation whose `add` answers with `hash_for(content)`, and which serves `cat` from `blocks`.
async fn fake_kubo(
    hash_for: impl Fn(&[u8]) -> String + Send + Sync + 'static,
    blocks: BTreeMap<String, Vec<u8>>,
) -> Result<(String, mpsc::UnboundedReceiver<Request>), BoxError> {
    serve(move |request| {
        if request.method != "POST" {
            return Answer::json(405, r#"{"Message":"only POST","Code":0,"Type":"error"}"#.to_owned());
        }
        match request.path.as_str() {
            "/api/v0/add" => match parse_multipart(request) {
                Ok(parts) if parts.len() == 1 => {
                    let name = parts[0]
                        .headers
                        .get("content-disposition")
                        .and_then(|cd| cd.split("filename=\"").nth(1))
                        .and_then(|rest| rest.split('"').next())
                        .unwrap_or("")
                        .to_owned();
                    let content = &parts[0].content;
                    Answer::json(
                        200,
                        format!(
                            "{{\"Name\":\"{name}\",\"Hash\":\"{}\",\"Size\":\"{}\"}}\n",
                            hash_for(content),
                            content.len()
                        ),
                    )
                }
                Ok(parts) => Answer::json(400, format!(r#"{{"Message":"{} parts","Code":0,"Type":"error"}}"#, parts.len())),
                Err(e) => Answer::json(400, format!(r#"{{"Message":"{e}","Code":0,"Type":"error"}}"#)),
            },
            "/api/v0/cat" => match request.query.get("arg").and_then(|cid| blocks.get(cid)) {
                Some(content) => Answer { status: 200, content_type: "text/plain", body: content.clone() },
                None => Answer::json(
                    500,
                    r#"{"Message":"block was not found locally (offline): ipld: could not find node","Code":0,"Type":"error"}"#
                        .to_owned(),
                ),
            },
            "/api/v0/version" => Answer::json(
                200,
                r#"{"Version":"0.32.1","Commit":"","Repo":"16","System":"amd64/linux","Golang":"go1.23.3"}"#.to_owned(),
            ),
            other => Answer::json(404, format!("404 page not found: {other}")),
        }
    })
    .await
}

#[tokio::test]
async fn add_sends_what_kubo_expects_and_checks_the_cid() -> TestResult {
    let (url, mut requests) = fake_kubo(independent_cid, BTreeMap::new()).await?;
    let client = KuboClient::new(&url)?;
    let content = br#"{"name":"automat receipt #1"}"#;

    let cid = client.add(content).await?;
    assert_eq!(cid.to_string(), independent_cid(content));
    assert_eq!(cid, content_cid(content)?);

    let request = requests.recv().await.ok_or("no request seen")?;
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/v0/add");
    let expected_query: BTreeMap<String, String> = [("cid-version", "1"), ("raw-leaves", "true"), ("pin", "true")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    assert_eq!(request.query, expected_query);

    let parts = parse_multipart(&request)?;
    assert_eq!(parts.len(), 1);
    let disposition = parts[0].headers.get("content-disposition").ok_or("no content-disposition")?;
    assert!(disposition.starts_with("form-data; name=\"file\""), "{disposition}");
    assert!(disposition.contains("filename="), "Kubo needs a file part: {disposition}");
    assert_eq!(parts[0].content, content);
    Ok(())
}

#[tokio::test]
async fn add_transmits_binary_and_full_block_content_exactly() -> TestResult {
    let (url, mut requests) = fake_kubo(independent_cid, BTreeMap::new()).await?;
    let client = KuboClient::new(&url)?;
    // CRLF, dashes and NULs that a careless multipart encoder or parser would mangle, at the size limit.
    let mut content = b"\r\n--\r\n\0\xff".repeat(1000);
    content.resize(automat_store::MAX_SINGLE_BLOCK, 0xAB);
    let cid = client.add(&content).await?;
    assert_eq!(cid.to_string(), independent_cid(&content));
    let request = requests.recv().await.ok_or("no request seen")?;
    assert_eq!(parse_multipart(&request)?[0].content, content);

    let empty = client.add(b"").await?;
    assert_eq!(empty.to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    Ok(())
}

#[tokio::test]
async fn add_rejects_a_wrong_hash() -> TestResult {
    // A node that hashes something else (as a misconfigured or lying node would).
    let (url, _requests) = fake_kubo(|content| independent_cid(&[content, b"!"].concat()), BTreeMap::new()).await?;
    let client = KuboClient::new(&url)?;
    match client.add(b"hello world").await {
        Err(StoreError::CidMismatch { url: reported, expected, actual }) => {
            assert_eq!(reported, format!("{url}/api/v0/add?cid-version=1&raw-leaves=true&pin=true"));
            assert_eq!(expected, content_cid(b"hello world")?.to_string());
            assert_eq!(actual, content_cid(b"hello world!")?.to_string());
        }
        other => panic!("expected CidMismatch, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn add_rejects_a_cidv0_answer() -> TestResult {
    // What Kubo answers when the node ignores cid-version and raw-leaves: the dag-pb CIDv0.
    let (url, _requests) =
        fake_kubo(|_| "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD".to_owned(), BTreeMap::new()).await?;
    let client = KuboClient::new(&url)?;
    let err = client.add(b"hello world").await.err().ok_or("mismatch accepted")?;
    assert!(matches!(err, StoreError::CidMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"), "{err}");
    Ok(())
}

#[tokio::test]
async fn add_refuses_oversized_content_before_sending() -> TestResult {
    let (url, mut requests) = fake_kubo(independent_cid, BTreeMap::new()).await?;
    let client = KuboClient::new(&url)?;
    let err = client.add(&vec![1; automat_store::MAX_SINGLE_BLOCK + 1]).await.err().ok_or("accepted")?;
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err:?}");
    assert!(requests.try_recv().is_err(), "nothing must be sent");
    Ok(())
}

#[tokio::test]
async fn cat_verifies_the_bytes() -> TestResult {
    let good = b"receipt body".to_vec();
    let good_cid = independent_cid(&good);
    let tampered_cid = independent_cid(b"what was stored");
    let blocks = BTreeMap::from([(good_cid.clone(), good.clone()), (tampered_cid.clone(), b"something else".to_vec())]);
    let (url, mut requests) = fake_kubo(independent_cid, blocks).await?;
    let client = KuboClient::new(&url)?;

    assert_eq!(client.cat(&parse_cid(&good_cid)?).await?, good);
    let request = requests.recv().await.ok_or("no request seen")?;
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/api/v0/cat"));
    assert_eq!(request.query.get("arg"), Some(&good_cid));

    match client.cat(&parse_cid(&tampered_cid)?).await {
        Err(StoreError::CidMismatch { expected, actual, .. }) => {
            assert_eq!(expected, tampered_cid);
            assert_eq!(actual, content_cid(b"something else")?.to_string());
        }
        other => panic!("expected CidMismatch, got {other:?}"),
    }

    let missing: Cid = content_cid(b"never added")?;
    match client.cat(&missing).await {
        Err(StoreError::KuboStatus { status: 500, message, url: reported }) => {
            assert!(message.contains("could not find node"), "{message}");
            assert!(reported.contains(&missing.to_string()), "{reported}");
        }
        other => panic!("expected KuboStatus, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn version_parses_kubos_answer() -> TestResult {
    let (url, _requests) = fake_kubo(independent_cid, BTreeMap::new()).await?;
    let version = KuboClient::new(&url)?.version().await?;
    assert_eq!(version.version, "0.32.1");
    assert_eq!(version.system, "amd64/linux");
    Ok(())
}

#[tokio::test]
async fn unreachable_node_gives_an_actionable_error() -> TestResult {
    // A port that was just free: nothing listens there any more.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    drop(listener);
    let err = KuboClient::new(&url)?.version().await.err().ok_or("connected to nothing")?;
    assert!(matches!(err, StoreError::KuboUnreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("{url}/api/v0/version")), "{message}");
    assert!(message.contains("ipfs daemon"), "{message}");
    Ok(())
}
