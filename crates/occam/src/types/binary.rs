//! Binary input and output of values in PostgreSQL's binary wire format.
