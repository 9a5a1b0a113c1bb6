//! `serve-function`: the transfer function behind the Lambda Invoke API and `POST /transfer`, called with a
//! hyper HTTP client, over an in-process occam.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use occam_workshop::local::{self, LocalServer};
use occam_workshop::pool::Pool;
use occam_workshop::transfer::{RetryPolicy, TransferFunction};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

const INVOKE: &str = "/2015-03-31/functions/reinvent-dat401/invocations";

/// Serves `function` on a free port.
async fn serve(function: TransferFunction) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(occam_workshop::serve::serve(listener, function));
    addr
}

/// An occam with the workshop's schema, its admin client, and the function served over HTTP.
async fn setup() -> (LocalServer, tokio_postgres::Client, SocketAddr) {
    let server = LocalServer::start(None).await.unwrap();
    let client = server.connector().connect().await.unwrap();
    local::create_schema(&client).await.unwrap();
    let addr = serve(TransferFunction::new(Pool::new(server.config(), 4), RetryPolicy::Immediate)).await;
    (server, client, addr)
}

/// One request on a fresh connection: status, headers and body.
async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder().method(method).uri(path).header("Host", "localhost");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body.to_owned()))).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8(body.to_vec()).unwrap())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("{body:?} is not JSON: {err}"))
}

async fn balance(client: &tokio_postgres::Client, id: i32) -> i32 {
    client.query_one("SELECT balance FROM accounts WHERE id = $1", &[&id]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_invoke_and_plain_transfer() {
    let (_server, client, addr) = setup().await;
    let payload = r#"{"payer_id":1,"payee_id":2,"amount":10}"#;

    let (status, headers, body) = call(addr, Method::POST, INVOKE, &[], payload).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("X-Amz-Function-Error").is_none());
    assert_eq!(headers["X-Amz-Executed-Version"], "$LATEST");
    let result = json(&body);
    assert_eq!((result["balance"].as_i64(), result["retries"].as_i64()), (Some(90), Some(0)), "{body}");
    assert!(result["duration"].is_u64(), "{body}");

    let (status, _, body) = call(addr, Method::POST, "/transfer", &[], payload).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["balance"], 80);
    assert_eq!((balance(&client, 1).await, balance(&client, 2).await), (80, 120));

    // A business error is the function's answer, not a failed invocation.
    let (status, headers, body) =
        call(addr, Method::POST, INVOKE, &[], r#"{"payer_id":1,"payee_id":2,"amount":1000}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("X-Amz-Function-Error").is_none());
    assert_eq!(json(&body)["error"], "Insufficient balance");
    let (_, _, body) = call(addr, Method::POST, "/transfer", &[], r#"{"payer_id":1,"payee_id":9999,"amount":1}"#).await;
    assert_eq!(json(&body)["error"], "Payee account not found");
    assert_eq!(balance(&client, 1).await, 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhandled_errors() {
    let (_server, _client, addr) = setup().await;
    // A payload that is not a transfer request.
    let (status, headers, body) = call(addr, Method::POST, INVOKE, &[], "not json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["X-Amz-Function-Error"], "Unhandled");
    assert_eq!(json(&body)["errorType"], "Runtime.UnmarshalError");
    assert!(json(&body)["errorMessage"].is_string());
    let (status, _, body) = call(addr, Method::POST, "/transfer", &[], r#"{"payer_id":1}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&body)["error"].as_str().unwrap().contains("payee_id"), "{body}");

    // No database to connect to.
    let gone = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(gone.local_addr().unwrap().port()).user("admin").password("x");
    drop(gone);
    let addr = serve(TransferFunction::new(Pool::new(config, 1), RetryPolicy::Immediate)).await;
    let payload = r#"{"payer_id":1,"payee_id":2,"amount":10}"#;
    let (status, headers, body) = call(addr, Method::POST, INVOKE, &[], payload).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["X-Amz-Function-Error"], "Unhandled");
    assert_eq!(json(&body)["errorType"], "Error");
    let (status, _, _) = call(addr, Method::POST, "/transfer", &[], payload).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocation_types_and_routes() {
    let (_server, client, addr) = setup().await;
    let payload = r#"{"payer_id":3,"payee_id":4,"amount":10}"#;

    let (status, _, body) = call(addr, Method::POST, INVOKE, &[("X-Amz-Invocation-Type", "DryRun")], payload).await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert_eq!(balance(&client, 3).await, 100);

    let (status, _, _) = call(addr, Method::POST, INVOKE, &[("X-Amz-Invocation-Type", "Event")], payload).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut waited = 0;
    while balance(&client, 3).await != 90 {
        assert!(waited < 100, "the Event invocation never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }

    let (status, headers, _) = call(addr, Method::POST, INVOKE, &[("X-Amz-Invocation-Type", "Later")], payload).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["X-Amzn-ErrorType"], "InvalidParameterValueException");
    let (status, headers, _) = call(addr, Method::GET, "/transfer", &[], "").await;
    assert_eq!((status, &headers["Allow"]), (StatusCode::METHOD_NOT_ALLOWED, &"POST".parse().unwrap()));
    let (status, _, _) = call(addr, Method::POST, "/2015-03-31/functions//invocations", &[], payload).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(addr, Method::POST, "/nowhere", &[], payload).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(balance(&client, 3).await, 90);
}

/// Chapter 0's call: no payload, or `{}`, is answered with the greeting after a `SELECT 1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_payload_greets() {
    let (_server, _client, addr) = setup().await;
    for payload in ["", "{}", " { } "] {
        let (status, headers, body) = call(addr, Method::POST, INVOKE, &[], payload).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get("X-Amz-Function-Error").is_none(), "{body}");
        assert_eq!(json(&body)["greeting"], "Hello! I connected to DSQL successfully!");
    }
}
