//! The PostgreSQL v3 wire protocol front end (pgwire): startup, simple and extended query, COPY later.
