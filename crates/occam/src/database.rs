//! The database handle: storage, transaction manager and catalog, shared by every session.
//!
//! `Database` is cheap to clone (an `Arc` inside) and is what both the in-process API (tests, embedding)
//! and the wire server open. Each client connection gets a [`crate::session::Session`] from it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Result;
use crate::session::Session;

/// How to open a database.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Directory of the on-disk database; `None` keeps everything in memory (lost at exit).
    pub data_dir: Option<PathBuf>,
}

/// An open database.
#[derive(Clone)]
pub struct Database {
    #[allow(dead_code)]
    inner: Arc<DatabaseInner>,
}

struct DatabaseInner {}

impl Database {
    /// Opens (creating if needed) the database described by `config`.
    pub fn open(_config: &Config) -> Result<Database> {
        todo!("owned by the SQL layer")
    }

    /// A fresh in-memory database.
    pub fn open_in_memory() -> Database {
        Self::open(&Config::default()).expect("in-memory open cannot fail")
    }

    /// A new session for `user` (the role name from the startup message).
    pub fn session(&self, _user: &str) -> Result<Session> {
        todo!("owned by the SQL layer")
    }
}
