//! One guard against stack overflow for every recursive walk over client-controlled structure.
//!
//! A statement's text decides how deep occam's recursive functions go: the translation from sqlparser's
//! tree, binding, planning and expression evaluation all recurse once per nesting level. A stack overflow
//! aborts the whole process (Rust cannot unwind from it), so every such walk calls [`check`] on entry,
//! which measures the stack that is really left on this thread (not a depth count, whose safe value would
//! depend on frame sizes, the build profile and the thread) and fails the statement with PostgreSQL's
//! `54001 stack depth limit exceeded` while a comfortable red zone remains. Walks that cannot fail
//! (rendering SQL text back, dropping a tree) only ever see trees that a checked walk with larger frames
//! built first.
//!
//! Long flat chains are not nested at all: `a OR b OR ...` and `a AND b AND ...` are n-ary nodes, `IN` lists
//! are lists, so an ORM's 100,000-item filter needs no depth. The server runs statements on threads with
//! [`STATEMENT_STACK_SIZE`] bytes of stack (reserved address space; only the pages a statement touches
//! are ever resident), so left-deep chains of other operators (`x + y + ...`) go thousands deep too.

use crate::error::{sqlstate, Error, Result};

/// Stack for the threads that run statements (the server's async workers and blocking threads, the jobs
/// thread).
pub const STATEMENT_STACK_SIZE: usize = 64 << 20;

/// What must remain when a recursive walk starts another level: enough for the deepest stretch of code
/// between two checks (a leaf function, a regex compile, sqlparser's own recursion-limited descent) in an
/// unoptimised build.
pub const RED_ZONE: usize = 512 << 10;

/// Fails with 54001 when less than [`RED_ZONE`] bytes of stack remain on this thread.
#[inline]
pub fn check() -> Result<()> {
    match stacker::remaining_stack() {
        Some(remaining) if remaining < RED_ZONE => Err(too_deep()),
        _ => Ok(()),
    }
}

/// PostgreSQL's error for a statement that nests too deeply.
pub fn too_deep() -> Error {
    Error::new(sqlstate::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded").with_hint(format!(
        "The statement nests too deeply for a statement thread's stack ({}kB): simplify it, for example by \
         flattening nested expressions or subqueries.",
        STATEMENT_STACK_SIZE >> 10
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descend(levels: usize) -> Result<usize> {
        check()?;
        let padding = std::hint::black_box([0u8; 1024]);
        if levels == 0 {
            return Ok(padding[0] as usize);
        }
        Ok(descend(levels - 1)? + 1)
    }

    #[test]
    fn unbounded_recursion_fails_cleanly_on_a_small_thread() {
        let result = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| descend(1_000_000))
            .expect("thread")
            .join()
            .expect("no overflow");
        let err = result.expect_err("too deep");
        assert_eq!(err.code, "54001");
        assert_eq!(err.message, "stack depth limit exceeded");
    }

    #[test]
    fn moderate_recursion_works() {
        let depth = std::thread::Builder::new()
            .stack_size(STATEMENT_STACK_SIZE)
            .spawn(|| descend(10_000))
            .expect("thread")
            .join()
            .expect("no overflow")
            .expect("fits");
        assert_eq!(depth, 10_000);
    }
}
