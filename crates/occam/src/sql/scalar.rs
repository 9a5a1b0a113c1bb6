//! Scalar semantics shared by the planner and the executor: casts, arithmetic with overflow checks,
//! comparisons across numeric types, and the result-type rules that go with them.
