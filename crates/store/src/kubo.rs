//! A minimal client of the Kubo (go-ipfs) RPC API: add, cat and version, each verified against the CID
//! computed locally.
//!
//! Every call is a `POST` under `{base}/api/v0/` as the RPC API requires. `add` uploads the content as
//! the multipart field `file` with `cid-version=1&raw-leaves=true&pin=true`, which for content of at
//! most [`MAX_SINGLE_BLOCK`] bytes yields exactly [`content_cid`]; any
//! other answer is a [`StoreError::CidMismatch`]. `cat` re-hashes what it receives.

use std::time::Duration;

use ::cid::Cid;
use reqwest::{Client, Response, Url, multipart};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::cid::{MAX_SINGLE_BLOCK, cid_from_sha256, cid_string, content_cid, sha256_of};
use crate::error::{Result, StoreError};

/// Kubo's default RPC API address.
pub const DEFAULT_KUBO_URL: &str = "http://127.0.0.1:5001";

/// How long one RPC call may take in total.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many bytes of an error body are quoted in [`StoreError::KuboStatus`].
const ERROR_BODY_LIMIT: usize = 512;

/// A client of one Kubo node's RPC API.
#[derive(Debug, Clone)]
pub struct KuboClient {
    /// Base URL without trailing slash, credentials included (reqwest sends them as basic auth).
    base: String,
    /// The same without credentials, for error messages.
    shown: String,
    http: Client,
}

/// What `POST /api/v0/version` reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KuboVersion {
    /// Kubo's version, e.g. `0.32.1`.
    pub version: String,
    /// The git commit it was built from (often empty).
    #[serde(default)]
    pub commit: String,
    /// The repository format version.
    #[serde(default)]
    pub repo: String,
    /// `<arch>/<os>`.
    #[serde(default)]
    pub system: String,
    /// The Go version it was built with.
    #[serde(default)]
    pub golang: String,
}

/// One line of the `add` response stream.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddEntry {
    #[serde(default)]
    hash: Option<String>,
}

/// Kubo's error body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    message: String,
}

impl KuboClient {
    /// A client of the RPC API at `base_url` (e.g. [`DEFAULT_KUBO_URL`]); `http` and `https` are
    /// accepted, a trailing slash is ignored, and `user:password@` in the URL is sent as basic auth.
    pub fn new(base_url: &str) -> Result<Self> {
        let invalid = |reason: String| StoreError::InvalidUrl { url: redact(base_url), reason };
        let url = Url::parse(base_url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!("scheme {:?} is not http or https", url.scheme())));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a base URL has no query or fragment".to_owned()));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let http = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { shown: redact(&base), base, http })
    }

    /// The base URL (without credentials).
    pub fn base_url(&self) -> &str {
        &self.shown
    }

    /// Adds and pins `bytes`, returning their CID after checking that Kubo computed the same one as
    /// [`content_cid`].
    pub async fn add(&self, bytes: &[u8]) -> Result<Cid> {
        let expected = content_cid(bytes)?;
        let path = "add?cid-version=1&raw-leaves=true&pin=true";
        let part = multipart::Part::bytes(bytes.to_vec())
            .file_name(cid_string(&expected))
            .mime_str("application/octet-stream")
            .map_err(|e| self.http_error(path, e))?;
        let form = multipart::Form::new().part("file", part);
        let response = self.post(path, Some(form)).await?;
        let body = response.bytes().await.map_err(|e| self.http_error(path, e))?;

        let mut hash = None;
        for entry in serde_json::Deserializer::from_slice(&body).into_iter::<AddEntry>() {
            let entry = entry.map_err(|e| self.bad_response(path, format!("not a stream of JSON objects: {e}")))?;
            hash = entry.hash.or(hash);
        }
        let hash = hash.ok_or_else(|| self.bad_response(path, format!("no `Hash` in {}", quote(&body))))?;
        let actual = Cid::try_from(hash.as_str())
            .map_err(|e| self.bad_response(path, format!("`Hash` {hash:?} is not a CID: {e}")))?;
        if actual != expected {
            return Err(StoreError::CidMismatch {
                url: self.shown_url(path),
                expected: cid_string(&expected),
                actual: hash,
            });
        }
        Ok(actual)
    }

    /// The content of `cid`, checked to hash to it. Fails with [`StoreError::UnsupportedCid`] unless
    /// `cid` is a CIDv1 raw sha2-256 CID.
    pub async fn cat(&self, cid: &Cid) -> Result<Vec<u8>> {
        let expected_digest = sha256_of(cid)?;
        let path = format!("cat?arg={}", cid_string(cid));
        let mut response = self.post(&path, None).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.http_error(&path, e))? {
            if bytes.len() + chunk.len() > MAX_SINGLE_BLOCK {
                return Err(self.bad_response(
                    &path,
                    format!("more than {MAX_SINGLE_BLOCK} bytes, which no raw block of this crate holds"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if digest != expected_digest {
            return Err(StoreError::CidMismatch {
                url: self.shown_url(&path),
                expected: cid_string(cid),
                actual: cid_string(&cid_from_sha256(digest)),
            });
        }
        Ok(bytes)
    }

    /// The node's version: a cheap way to check that it is reachable.
    pub async fn version(&self) -> Result<KuboVersion> {
        let path = "version";
        let response = self.post(path, None).await?;
        let body = response.bytes().await.map_err(|e| self.http_error(path, e))?;
        serde_json::from_slice(&body).map_err(|e| self.bad_response(path, format!("{e} in {}", quote(&body))))
    }

    /// `POST {base}/api/v0/{path}`, mapping transport failures and non-2xx answers to typed errors.
    async fn post(&self, path: &str, form: Option<multipart::Form>) -> Result<Response> {
        let mut request = self.http.post(format!("{}/api/v0/{path}", self.base));
        if let Some(form) = form {
            request = request.multipart(form);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                StoreError::KuboUnreachable { url: self.shown_url(path), source: e.without_url() }
            } else {
                self.http_error(path, e)
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        let message = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) => error.message,
            Err(_) => quote(&body),
        };
        Err(StoreError::KuboStatus { url: self.shown_url(path), status: status.as_u16(), message })
    }

    fn shown_url(&self, path: &str) -> String {
        format!("{}/api/v0/{path}", self.shown)
    }

    fn http_error(&self, path: &str, source: reqwest::Error) -> StoreError {
        StoreError::KuboHttp { url: self.shown_url(path), source: source.without_url() }
    }

    fn bad_response(&self, path: &str, reason: String) -> StoreError {
        StoreError::KuboResponse { url: self.shown_url(path), reason }
    }
}

/// `url` with any `user:password@` removed.
fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.as_str().trim_end_matches('/').to_owned()
        }
        _ => url.to_owned(),
    }
}

/// The start of a body, for messages.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_LIMIT)]);
    if body.len() > ERROR_BODY_LIMIT { format!("{text:?}…") } else { format!("{text:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_validated() -> Result<()> {
        assert_eq!(KuboClient::new("http://127.0.0.1:5001/")?.base_url(), "http://127.0.0.1:5001");
        assert_eq!(KuboClient::new("https://ipfs.example/rpc/")?.base_url(), "https://ipfs.example/rpc");
        let with_auth = KuboClient::new("http://alice:secret@127.0.0.1:5001")?;
        assert_eq!(with_auth.base_url(), "http://127.0.0.1:5001");
        for bad in ["127.0.0.1:5001", "ftp://host", "not a url", "http://host/?x=1"] {
            assert!(matches!(KuboClient::new(bad), Err(StoreError::InvalidUrl { .. })), "{bad}");
        }
        match KuboClient::new("ftp://bob:hunter2@host") {
            Err(e) => assert!(!e.to_string().contains("hunter2"), "{e}"),
            Ok(_) => panic!("ftp accepted"),
        }
        Ok(())
    }
}
