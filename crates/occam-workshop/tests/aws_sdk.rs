//! The talk's own helper drives `serve-function`: the AWS SDK for Rust (`aws-config` + `aws-sdk-lambda`),
//! its settings loaded from the environment with `AWS_ENDPOINT_URL_LAMBDA` pointing at the function served
//! over an in-process occam, calls `Invoke` and reads the payload and `FunctionError` as it would from AWS.
//!
//! The SDK is built without its default HTTPS client (which compiles aws-lc); the tests hand the config
//! loader the SDK's own hyper client with rustls on ring instead. The endpoint still comes from the
//! environment through the loader, as for the helper.

use std::net::SocketAddr;
use std::sync::{mpsc, OnceLock};

use aws_config::BehaviorVersion;
use aws_sdk_lambda::operation::invoke::InvokeOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use occam_workshop::connect::Connector;
use occam_workshop::local::{self, LocalServer};
use occam_workshop::pool::Pool;
use occam_workshop::serve;
use occam_workshop::transfer::{Response, RetryPolicy, TransferFunction};
use serde_json::Value;
use tokio::net::TcpListener;

/// The function's name in the talk's stack.
const FUNCTION_NAME: &str = "reinvent-dat401";

/// The served function and its database, shared by the tests of this binary.
struct Function {
    /// Where the function is served.
    addr: SocketAddr,
    /// The database's admin connection settings.
    database: tokio_postgres::Config,
}

static FUNCTION: OnceLock<Function> = OnceLock::new();

/// Starts, once for this test binary, an occam with the workshop's schema and the transfer function served
/// on a free port, on a thread and runtime of their own (each test has its own runtime; the server outlives
/// them all). Then sets the environment the SDK reads, in this one place, before any test loads a config:
/// the endpoint, a region, fake credentials, and no `~/.aws` files or instance metadata to look at.
fn function() -> &'static Function {
    FUNCTION.get_or_init(|| {
        let (started, addr) = mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
            runtime.expect("a runtime").block_on(async move {
                let server = LocalServer::start(None).await.expect("occam starts");
                let client = server.connector().connect().await.expect("admin connects");
                local::create_schema(&client).await.expect("the schema is created");
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
                let function = TransferFunction::new(Pool::new(server.config(), 4), RetryPolicy::Immediate);
                let addr = listener.local_addr().expect("a bound port");
                started.send(Function { addr, database: server.config() }).expect("the tests wait");
                serve::serve(listener, function).await
            })
        });
        let function = addr.recv().expect("the function's server started");
        let endpoint = format!("http://{}", function.addr);
        for (name, value) in [
            ("AWS_ENDPOINT_URL_LAMBDA", endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDOCCAMWORKSHOP"),
            ("AWS_SECRET_ACCESS_KEY", "not-a-secret"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/occam-workshop/aws/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/occam-workshop/aws/credentials"),
        ] {
            std::env::set_var(name, value);
        }
        for name in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] {
            std::env::remove_var(name);
        }
        function
    })
}

/// A Lambda client as the talk's helper makes one: `aws_config::defaults(BehaviorVersion::latest())` loaded
/// from the environment, with the SDK's hyper client on rustls/ring in place of its aws-lc default.
async fn lambda() -> aws_sdk_lambda::Client {
    function();
    let http_client =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let config = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client).load().await;
    aws_sdk_lambda::Client::new(&config)
}

/// `Invoke` of the talk's function, synchronous (`RequestResponse`, the SDK's default).
async fn invoke(payload: &str) -> InvokeOutput {
    let client = lambda().await;
    let output = client.invoke().function_name(FUNCTION_NAME).payload(Blob::new(payload)).send().await;
    output.unwrap_or_else(|err| panic!("Invoke {payload}: {}", aws_sdk_lambda::error::DisplayErrorContext(err)))
}

fn payload(output: &InvokeOutput) -> &str {
    std::str::from_utf8(output.payload().expect("a payload").as_ref()).expect("a UTF-8 payload")
}

/// The function's answer, parsed as the function's JSON.
fn response(output: &InvokeOutput) -> Response {
    let payload = payload(output);
    serde_json::from_str(payload).unwrap_or_else(|err| panic!("{payload:?} is not the function's answer: {err}"))
}

async fn balance(id: i32) -> i32 {
    let client = Connector::new(function().database.clone()).connect().await.expect("admin connects");
    client.query_one("SELECT balance FROM accounts WHERE id = $1", &[&id]).await.expect("the account").get(0)
}

#[tokio::test]
async fn sdk_invoke_transfers() {
    let output = invoke(r#"{"payer_id":1,"payee_id":2,"amount":10}"#).await;
    assert_eq!(output.status_code(), 200);
    assert_eq!(output.function_error(), None, "{}", payload(&output));
    assert_eq!(output.executed_version(), Some("$LATEST"));
    let response = response(&output);
    assert_eq!((response.balance, response.error, response.retries), (Some(90), None, 0));
    assert_eq!((balance(1).await, balance(2).await), (90, 110));
}

#[tokio::test]
async fn sdk_invoke_business_error() {
    let output = invoke(r#"{"payer_id":3,"payee_id":4,"amount":1000}"#).await;
    assert_eq!(output.status_code(), 200);
    // The function's answer, not a failed invocation.
    assert_eq!(output.function_error(), None, "{}", payload(&output));
    let response = response(&output);
    assert_eq!((response.balance, response.error.as_deref()), (None, Some("Insufficient balance")));
    assert_eq!((balance(3).await, balance(4).await), (100, 100));
}

#[tokio::test]
async fn sdk_invoke_unhandled_error() {
    let output = invoke(r#"{"payer_id":"x"}"#).await;
    assert_eq!(output.status_code(), 200);
    assert_eq!(output.function_error(), Some("Unhandled"));
    let error: Value = serde_json::from_str(payload(&output)).expect("a JSON error");
    assert_eq!(error["errorType"], "Runtime.UnmarshalError", "{error}");
    assert!(error["errorMessage"].as_str().is_some_and(|message| !message.is_empty()), "{error}");
}
