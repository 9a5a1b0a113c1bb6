//! Constraint checks a transaction owes at COMMIT: PostgreSQL's deferred constraint triggers, for a
//! FOREIGN KEY declared `DEFERRABLE INITIALLY DEFERRED` or deferred by `SET CONSTRAINTS`. The transaction
//! keeps them with its writes, so that ROLLBACK TO SAVEPOINT drops those queued since and the end of the
//! transaction ends them; the SQL layer decides what is deferred and runs the checks
//! (`sql::execute::referential`).

use crate::types::Value;

/// A constraint: the id of the table it belongs to (a foreign key's child table) and its name.
pub type ConstraintId = (u32, String);

/// The transaction's `SET CONSTRAINTS` modes and the checks it has deferred.
#[derive(Debug, Clone, Default)]
pub struct DeferredConstraints {
    /// `SET CONSTRAINTS ALL DEFERRED` (true) or `IMMEDIATE` (false), the latest.
    all: Option<bool>,
    /// `SET CONSTRAINTS name, ... DEFERRED | IMMEDIATE` since the latest `ALL`.
    named: Vec<(ConstraintId, bool)>,
    pending: Vec<DeferredCheck>,
}

/// One check owed at COMMIT.
#[derive(Debug, Clone, PartialEq)]
pub enum DeferredCheck {
    /// A child row written (at storage key `row_key`): if it still exists at COMMIT, the parent row its
    /// key references must too.
    Child { constraint: ConstraintId, row_key: Vec<u8> },
    /// A row of table `parent` deleted or re-keyed under a NO ACTION key: at COMMIT no child row may
    /// reference its old key, unless a row holds that key again.
    Parent { constraint: ConstraintId, parent: u32, old_row: Vec<Value> },
}

impl DeferredCheck {
    pub fn constraint(&self) -> &ConstraintId {
        match self {
            DeferredCheck::Child { constraint, .. } | DeferredCheck::Parent { constraint, .. } => constraint,
        }
    }
}

impl DeferredConstraints {
    /// Whether deferrable constraint `name` of table `table` is deferred now (`initially_deferred`: as
    /// declared, until SET CONSTRAINTS says otherwise).
    pub fn is_deferred(&self, table: u32, name: &str, initially_deferred: bool) -> bool {
        let named = self.named.iter().rev().find(|((t, n), _)| *t == table && n == name);
        match (named, self.all) {
            (Some((_, deferred)), _) => *deferred,
            (None, Some(deferred)) => deferred,
            (None, None) => initially_deferred,
        }
    }

    /// `SET CONSTRAINTS ALL ...`: every constraint, replacing earlier settings of single ones.
    pub fn set_all(&mut self, deferred: bool) {
        self.all = Some(deferred);
        self.named.clear();
    }

    /// `SET CONSTRAINTS name ...` for one constraint.
    pub fn set(&mut self, constraint: ConstraintId, deferred: bool) {
        self.named.retain(|(c, _)| *c != constraint);
        self.named.push((constraint, deferred));
    }

    pub fn defer(&mut self, check: DeferredCheck) {
        self.pending.push(check);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes the pending checks of the constraints `which` selects, in the order they were queued.
    pub fn take(&mut self, which: impl Fn(&ConstraintId) -> bool) -> Vec<DeferredCheck> {
        let (taken, kept) = std::mem::take(&mut self.pending).into_iter().partition(|c| which(c.constraint()));
        self.pending = kept;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_constraints_modes_override_the_declaration() {
        let mut modes = DeferredConstraints::default();
        assert!(modes.is_deferred(1, "fk", true));
        assert!(!modes.is_deferred(1, "fk", false));
        modes.set((1, "fk".into()), true);
        assert!(modes.is_deferred(1, "fk", false));
        assert!(!modes.is_deferred(2, "fk", false));
        modes.set_all(false);
        assert!(!modes.is_deferred(1, "fk", true));
        modes.set((1, "fk".into()), true);
        assert!(modes.is_deferred(1, "fk", false));
        assert!(!modes.is_deferred(1, "other", true));
    }

    #[test]
    fn take_keeps_the_checks_of_other_constraints() {
        let mut modes = DeferredConstraints::default();
        let child = |table: u32, key: u8| DeferredCheck::Child { constraint: (table, "fk".into()), row_key: vec![key] };
        modes.defer(child(1, 1));
        modes.defer(child(2, 2));
        modes.defer(child(1, 3));
        assert_eq!(modes.take(|c| c.0 == 1), vec![child(1, 1), child(1, 3)]);
        assert!(modes.has_pending());
        assert_eq!(modes.take(|_| true), vec![child(2, 2)]);
        assert!(!modes.has_pending());
    }
}
