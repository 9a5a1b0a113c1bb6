//! `occam-workshop serve-function`: the transfer function behind HTTP, in the shape of the AWS Lambda Invoke
//! API, so that the talk's `aws lambda invoke --function-name reinvent-dat401 --payload ...` (pointed at it
//! with `--endpoint-url`) and any HTTP client reach the same function the helper CLI calls in-process.
//!
//! - `POST /2015-03-31/functions/{name}/invocations` (any function name): the payload is the request body;
//!   an empty payload or `{}` is chapter 0's call, answered with the greeting after a `SELECT 1`;
//!   the answer is `200` with the function's JSON (`{"balance":90,...}`, business errors included, as
//!   Lambda returns a handler's result). A payload that does not parse, or a failure the function does not
//!   handle (no database connection), is Lambda's unhandled error: `200`, `X-Amz-Function-Error: Unhandled`
//!   and `{"errorType":..,"errorMessage":..}`. `X-Amz-Invocation-Type: Event` answers `202` at once and runs
//!   the transfer in the background; `DryRun` answers `204`.
//! - `POST /transfer`: the same function without the Lambda envelope: `200` with its JSON, `400` for a
//!   payload that does not parse, `500` for an unhandled failure (`{"error": ...}`).
//!
//! HTTP/1.1 and HTTP/2 (cleartext, with prior knowledge) are both served on the one port: the AWS SDKs and
//! CLI speak HTTP/1.1; the helper's stress tests multiplex their thousands of calls in flight over one
//! HTTP/2 connection per worker instead of opening a socket per call.

use std::convert::Infallible;
use std::io;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::net::TcpListener;

use crate::transfer::{self, TransferFunction};

/// Lambda's limit on a synchronous invocation's payload.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// HTTP/2 streams (calls in flight) one connection may carry.
const MAX_STREAMS_PER_CONNECTION: u32 = 10_000;

const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
const INVOKE_SUFFIX: &str = "/invocations";

/// Serves `function` on `listener` until the task is dropped or accepting fails.
pub async fn serve(listener: TcpListener, function: TransferFunction) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // Requests and answers are small: send them at once.
        stream.set_nodelay(true)?;
        let function = function.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let function = function.clone();
                async move { Ok::<_, Infallible>(handle(&function, request).await) }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // The helper keeps hundreds of calls in flight per connection.
            builder.http2().max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
            // A client that goes away mid-request is its own business.
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// What a payload became.
enum Outcome {
    /// The function's JSON result.
    Result(String),
    /// The payload is not a transfer request.
    BadPayload(String),
    /// The function failed without a result (no connection, a failed rollback).
    Unhandled(String),
}

async fn invoke(function: &TransferFunction, payload: &[u8]) -> Outcome {
    if is_empty_event(payload) {
        return match function.greet().await {
            Ok(greeting) => Outcome::Result(greeting.to_string()),
            Err(err) => Outcome::Unhandled(format!("{err:#}")),
        };
    }
    let request: transfer::Request = match serde_json::from_slice(payload) {
        Ok(request) => request,
        Err(err) => return Outcome::BadPayload(err.to_string()),
    };
    match function.invoke(request).await {
        Ok(response) => Outcome::Result(serde_json::to_string(&response).expect("a response serializes")),
        Err(err) => Outcome::Unhandled(err.to_string()),
    }
}

/// Whether `payload` is no payload at all or `{}`: chapter 0's call.
fn is_empty_event(payload: &[u8]) -> bool {
    payload.trim_ascii().is_empty()
        || serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(payload).is_ok_and(|map| map.is_empty())
}

async fn handle(function: &TransferFunction, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let lambda = path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix(INVOKE_SUFFIX))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    if !lambda && path != "/transfer" {
        return json_response(StatusCode::NOT_FOUND, json!({"message": format!("no route for {path}")}).to_string());
    }
    if request.method() != Method::POST {
        let mut response = json_response(StatusCode::METHOD_NOT_ALLOWED, json!({"message": "use POST"}).to_string());
        response.headers_mut().insert("Allow", HeaderValue::from_static("POST"));
        return response;
    }
    let invocation_type = request
        .headers()
        .get("X-Amz-Invocation-Type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let payload = match Limited::new(request.into_body(), MAX_PAYLOAD_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            let message = format!("cannot read the payload: {err}");
            return json_response(StatusCode::PAYLOAD_TOO_LARGE, json!({"message": message}).to_string());
        }
    };
    if !lambda {
        return match invoke(function, &payload).await {
            Outcome::Result(body) => json_response(StatusCode::OK, body),
            Outcome::BadPayload(err) => json_response(StatusCode::BAD_REQUEST, json!({"error": err}).to_string()),
            Outcome::Unhandled(err) => {
                json_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": err}).to_string())
            }
        };
    }
    match invocation_type.as_str() {
        "RequestResponse" => {}
        "Event" => {
            let function = function.clone();
            tokio::spawn(async move { invoke(&function, &payload).await });
            return lambda_response(StatusCode::ACCEPTED, String::new());
        }
        "DryRun" => return lambda_response(StatusCode::NO_CONTENT, String::new()),
        other => {
            let message = format!("X-Amz-Invocation-Type {other}: expected RequestResponse, Event or DryRun");
            let mut response = json_response(StatusCode::BAD_REQUEST, json!({"message": message}).to_string());
            response
                .headers_mut()
                .insert("X-Amzn-ErrorType", HeaderValue::from_static("InvalidParameterValueException"));
            return response;
        }
    }
    let (error_type, message) = match invoke(function, &payload).await {
        Outcome::Result(body) => return lambda_response(StatusCode::OK, body),
        Outcome::BadPayload(err) => ("Runtime.UnmarshalError", err),
        Outcome::Unhandled(err) => ("Error", err),
    };
    let mut response =
        lambda_response(StatusCode::OK, json!({"errorType": error_type, "errorMessage": message}).to_string());
    response.headers_mut().insert("X-Amz-Function-Error", HeaderValue::from_static("Unhandled"));
    response
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn lambda_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = json_response(status, body);
    response.headers_mut().insert("X-Amz-Executed-Version", HeaderValue::from_static("$LATEST"));
    response
}
