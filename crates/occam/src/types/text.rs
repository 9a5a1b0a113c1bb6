//! Text input and output of values: casts from/to text and the wire protocol's text format.
