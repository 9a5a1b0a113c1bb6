//! Authentication mechanisms shared by the server and clients: Aurora DSQL IAM auth tokens (SigV4
//! presigned URLs, service `dsql`) and PostgreSQL's SCRAM-SHA-256 password verifiers.
//!
//! ```text
//!   sigv4.rs   SigV4 query-string presigning, generic over service/host/path (known-answer tested)
//!   token.rs   DSQL auth tokens: generate (`occam token`), verify (`--auth iam`), credential sources
//!   scram.rs   SCRAM-SHA-256 verifiers (`CREATE ROLE .. PASSWORD`) and the server side of the exchange
//! ```

pub mod scram;
pub mod sigv4;
pub mod token;
