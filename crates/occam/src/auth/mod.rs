//! Authentication mechanisms shared by the server and clients: Aurora DSQL IAM auth tokens (SigV4
//! presigned URLs, service `dsql`) and PostgreSQL's SCRAM-SHA-256 password verifiers.

pub mod scram;
