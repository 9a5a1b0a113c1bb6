//! The cost-based optimizer: estimates of how many rows plans produce, from table statistics.

pub mod selectivity;
