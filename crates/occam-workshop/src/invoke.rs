//! The helper's side of the function: invokes it over HTTP through the Lambda Invoke API, as the talk's
//! helper invokes its Lambda through the AWS SDK. The function is `occam-workshop serve-function` (see
//! [`crate::serve`]), either one the helper started itself or the one `AWS_ENDPOINT_URL_LAMBDA` names.
//!
//! Each [`FunctionClient`] is one HTTP/2 connection (cleartext, prior knowledge) carrying any number of
//! invocations at once; a stress worker opens its own ([`Invoke::for_worker`]), so 10,000 calls in flight
//! take 50 sockets rather than 10,000.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use crate::stress::Invoke;
use crate::transfer::{Request, Response};

/// The environment variable that points the AWS SDKs (and this helper) at another Lambda endpoint.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_LAMBDA";

/// One invocation's answer, as the Lambda Invoke API gives it.
#[derive(Debug)]
pub struct Invocation {
    /// `X-Amz-Function-Error` (`Unhandled`): the function failed without a result.
    pub function_error: Option<String>,
    /// The function's result (or, with a function error, `{"errorType":..,"errorMessage":..}`).
    pub payload: Bytes,
}

/// A connection to the function's Lambda Invoke API.
#[derive(Clone)]
pub struct FunctionClient {
    /// `host:port` of the endpoint.
    authority: String,
    /// `http://host:port/2015-03-31/functions/NAME/invocations`.
    invoke_uri: Uri,
    sender: SendRequest<Full<Bytes>>,
}

impl FunctionClient {
    /// Connects to the function `function_name` behind `endpoint` (`http://host:port`).
    pub async fn connect(endpoint: &str, function_name: &str) -> anyhow::Result<FunctionClient> {
        let Some(rest) = endpoint.strip_prefix("http://") else {
            bail!("{endpoint}: the helper invokes the function over plain http:// (occam-workshop serve-function)");
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("{endpoint}: expected http://HOST:PORT");
        }
        let authority = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
        let invoke_uri: Uri = format!("http://{authority}/2015-03-31/functions/{function_name}/invocations")
            .parse()
            .with_context(|| format!("{endpoint}: not a valid endpoint for function {function_name}"))?;
        FunctionClient::open(authority, invoke_uri).await
    }

    async fn open(authority: String, invoke_uri: Uri) -> anyhow::Result<FunctionClient> {
        let stream = TcpStream::connect(&authority)
            .await
            .with_context(|| format!("connecting to the function at http://{authority}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .with_context(|| format!("starting HTTP/2 with the function at http://{authority}"))?;
        // Runs until every clone of the sender is dropped (or the server goes away, which calls then see).
        tokio::spawn(connection);
        Ok(FunctionClient { authority, invoke_uri, sender })
    }

    /// The endpoint, `http://host:port`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.authority)
    }

    /// Another connection to the same function.
    pub async fn reconnect(&self) -> anyhow::Result<FunctionClient> {
        FunctionClient::open(self.authority.clone(), self.invoke_uri.clone()).await
    }

    /// Invokes the function with `payload` (a synchronous `RequestResponse` invocation).
    pub async fn invoke_payload(&self, payload: Vec<u8>) -> anyhow::Result<Invocation> {
        let mut request = hyper::Request::new(Full::new(Bytes::from(payload)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.invoke_uri.clone();
        request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request.headers_mut().insert("X-Amz-Invocation-Type", HeaderValue::from_static("RequestResponse"));
        let mut sender = self.sender.clone();
        sender.ready().await.context("the connection to the function closed")?;
        let response = sender.send_request(request).await.context("invoking the function")?;
        let status = response.status();
        let function_error = response
            .headers()
            .get("X-Amz-Function-Error")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let payload = response.into_body().collect().await.context("reading the function's answer")?.to_bytes();
        if status != StatusCode::OK {
            bail!("the Invoke API answered {status}: {}", String::from_utf8_lossy(&payload));
        }
        Ok(Invocation { function_error, payload })
    }

    /// Invokes the transfer function: its result, or why the invocation failed (an unhandled function
    /// error's message, a transport failure).
    pub async fn transfer(&self, request: Request) -> Result<Response, String> {
        let payload = serde_json::to_vec(&request).map_err(|err| err.to_string())?;
        let invocation = self.invoke_payload(payload).await.map_err(|err| format!("{err:#}"))?;
        if invocation.function_error.is_some() {
            return Err(unhandled_message(&invocation.payload));
        }
        serde_json::from_slice(&invocation.payload)
            .map_err(|err| format!("the function answered {}: {err}", String::from_utf8_lossy(&invocation.payload)))
    }

    /// Invokes the function with `{}`, chapter 0's call; its JSON result.
    pub async fn greet(&self) -> anyhow::Result<serde_json::Value> {
        let invocation = self.invoke_payload(b"{}".to_vec()).await?;
        if invocation.function_error.is_some() {
            bail!("the function failed: {}", unhandled_message(&invocation.payload));
        }
        serde_json::from_slice(&invocation.payload).context("the function's answer is not JSON")
    }
}

/// The `errorMessage` of an unhandled function error's payload (or the payload itself).
fn unhandled_message(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|value| value["errorMessage"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned())
}

impl Invoke for FunctionClient {
    async fn invoke(&self, request: Request) -> Result<Response, String> {
        self.transfer(request).await
    }

    async fn for_worker(&self) -> anyhow::Result<Self> {
        self.reconnect().await
    }
}
