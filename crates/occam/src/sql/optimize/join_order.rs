//! Join order for inner joins: PostgreSQL's join search (`optimizer/path/joinrels.c`, `allpaths.c`) in
//! miniature.
//!
//! A FROM clause's *inner-join region* — comma lists, `[INNER] JOIN ... ON/USING` and `CROSS JOIN`, nested
//! any way — is a set of relations (its *leaves*: tables, subqueries, outer joins, ...) and of conditions
//! (the ON conditions and the WHERE conjuncts) that may be applied in any order: the result is the same
//! whatever order the leaves are joined in. So the optimizer
//! 1. flattens the region into its leaves and rewrites every condition over the *canonical row* (the
//!    leaves' columns in written order; USING's merged columns become expressions over them);
//! 2. gathers column equalities into equivalence classes (PostgreSQL's `EquivalenceClass`):
//!    `a = b AND b = c` lets `a` join `c` directly, and `a = 42 AND a = b` gives `b = 42`, a restriction
//!    that can use an index on `b`;
//! 3. searches left-deep orders by dynamic programming over subsets of leaves (exhaustive up to
//!    [`EXHAUSTIVE_LIMIT`] leaves, greedy beyond, as PostgreSQL's `geqo_threshold` switches strategy), each
//!    step planned by the planner's `join_planned` (a lookup, hash join or nested loop, costed), and joins
//!    without a condition (cross products) only when no connected leaf is left;
//! 4. restores the written column order with a projection, so the query above the region, which was bound
//!    against that order, is unaffected.
//!
//! Conditions that contain subqueries stay above the region, over the written order: a subquery's outer
//! references are positions of the row it was bound against.

use std::collections::HashMap;

use super::{source_width, Planner};
use crate::sql::ast::JoinKind;
use crate::sql::plan::physical::{Node, PhysicalPlan};
use crate::sql::plan::{BoundExpr, Source};
use crate::sql::scalar::{BinaryOp, BinarySignature};

/// Regions of up to this many leaves are searched exhaustively (2^n subsets); larger ones greedily.
const EXHAUSTIVE_LIMIT: usize = 8;

/// An inner-join region flattened into its leaves.
pub(super) struct Region<'s> {
    leaves: Vec<&'s Source>,
    /// Where each leaf's columns start in the canonical row, and how many it has.
    offsets: Vec<usize>,
    widths: Vec<usize>,
    /// Each position of the written row (the join tree's own layout, merged USING columns included) as an
    /// expression over the canonical row.
    layout: Vec<BoundExpr>,
    /// The ON conditions' conjuncts, over the canonical row.
    conditions: Vec<BoundExpr>,
}

impl<'s> Region<'s> {
    /// The region `source` is the root of; None when it is no inner join (or too large to plan here).
    pub(super) fn of(source: &'s Source) -> Option<Region<'s>> {
        if !is_inner_join(source) {
            return None;
        }
        let mut region = Region {
            leaves: Vec::new(),
            offsets: Vec::new(),
            widths: Vec::new(),
            layout: Vec::new(),
            conditions: Vec::new(),
        };
        region.layout = region.add(source);
        (region.leaves.len() <= 64).then_some(region)
    }

    /// Adds `source`'s leaves; returns its row layout over the canonical row.
    fn add(&mut self, source: &'s Source) -> Vec<BoundExpr> {
        if !is_inner_join(source) {
            let offset = self.offsets.last().zip(self.widths.last()).map_or(0, |(o, w)| o + w);
            let width = source_width(source);
            self.leaves.push(source);
            self.offsets.push(offset);
            self.widths.push(width);
            return (offset..offset + width).map(BoundExpr::Column).collect();
        }
        match source {
            Source::Cross(sources) => {
                let mut layout = Vec::new();
                for source in sources {
                    layout.extend(self.add(source));
                }
                layout
            }
            Source::Join(join) => {
                let mut layout = self.add(&join.left);
                layout.extend(self.add(&join.right));
                let over_canonical = |e: &BoundExpr| e.replace_columns(&|c| layout[c].clone());
                if let Some(condition) = &join.condition {
                    let conjuncts: Vec<BoundExpr> = condition.conjuncts().into_iter().map(over_canonical).collect();
                    self.conditions.extend(conjuncts);
                }
                let merged: Vec<BoundExpr> = join.merged.iter().map(over_canonical).collect();
                layout.extend(merged);
                layout
            }
            _ => unreachable!("is_inner_join admits only joins"),
        }
    }

    /// The leaf a canonical position belongs to.
    fn leaf_of(&self, position: usize) -> usize {
        self.offsets.partition_point(|&o| o <= position) - 1
    }

    /// The set of leaves an expression over the canonical row reads.
    fn leaves_read(&self, expr: &BoundExpr) -> u64 {
        let mut mask = 0;
        expr.visit(&mut |e| {
            if let BoundExpr::Column(c) = e {
                mask |= 1 << self.leaf_of(*c);
            }
        });
        mask
    }
}

/// Whether `source` is an inner join whose conditions can be moved (no subqueries in them).
fn is_inner_join(source: &Source) -> bool {
    match source {
        Source::Cross(sources) => sources.len() > 1,
        Source::Join(join) => {
            matches!(join.kind, JoinKind::Inner | JoinKind::Cross)
                && !join.lateral
                && join.condition.as_ref().is_none_or(|c| c.subqueries().is_empty())
                && join.merged.iter().all(|m| m.subqueries().is_empty())
        }
        _ => false,
    }
}

/// Members known equal: every pair of members is equal in every row the region yields.
struct EquivalenceClass {
    /// The equality (`=` over one type) that relates them.
    sig: BinarySignature,
    /// Column expressions (a column, possibly under casts) over the canonical row.
    members: Vec<BoundExpr>,
    /// A constant every member equals, if the conditions name one.
    constant: Option<BoundExpr>,
}

impl EquivalenceClass {
    fn equality(&self, left: &BoundExpr, right: &BoundExpr) -> BoundExpr {
        BoundExpr::Binary {
            op: BinaryOp::Eq,
            sig: self.sig,
            left: Box::new(left.clone()),
            right: Box::new(right.clone()),
        }
    }
}

/// A column under any casts.
fn is_member(expr: &BoundExpr) -> bool {
    match expr {
        BoundExpr::Column(_) => true,
        BoundExpr::Cast { expr, .. } => is_member(expr),
        _ => false,
    }
}

/// Takes the equalities of `conditions` that build equivalence classes out of it.
fn gather_classes(conditions: &mut Vec<BoundExpr>) -> Vec<EquivalenceClass> {
    let mut classes: Vec<EquivalenceClass> = Vec::new();
    let find =
        |classes: &[EquivalenceClass], member: &BoundExpr| classes.iter().position(|c| c.members.contains(member));
    conditions.retain(|condition| {
        let BoundExpr::Binary { op: BinaryOp::Eq, sig, left, right } = condition else { return true };
        if sig.left != sig.right {
            return true;
        }
        let (left, right) = (left.as_ref(), right.as_ref());
        let constant = |e: &BoundExpr| e.is_constant() && e.subqueries().is_empty();
        if is_member(left) && is_member(right) {
            if left == right {
                return true; // `a = a` is `a IS NOT NULL`, not an equivalence
            }
            let (a, b) = (find(&classes, left), find(&classes, right));
            match (a, b) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    if classes[a].sig != *sig || classes[b].sig != *sig {
                        return true;
                    }
                    if classes[a].constant.is_some() && classes[b].constant.is_some() {
                        return true; // two constants: keep this equality as a plain condition
                    }
                    let merged = classes.remove(a.max(b));
                    let kept = &mut classes[a.min(b)];
                    kept.members.extend(merged.members);
                    kept.constant = kept.constant.take().or(merged.constant);
                }
                (Some(a), None) | (None, Some(a)) => {
                    if classes[a].sig != *sig {
                        return true;
                    }
                    let new = if b.is_none() { right } else { left };
                    classes[a].members.push(new.clone());
                }
                (None, None) => classes.push(EquivalenceClass {
                    sig: *sig,
                    members: vec![left.clone(), right.clone()],
                    constant: None,
                }),
            }
            return false;
        }
        let (member, value) = match (is_member(left), is_member(right)) {
            (true, false) if constant(right) => (left, right),
            (false, true) if constant(left) => (right, left),
            _ => return true,
        };
        match find(&classes, member) {
            Some(a) if classes[a].sig == *sig && classes[a].constant.is_none() => {
                classes[a].constant = Some(value.clone());
            }
            Some(_) => return true,
            None => classes.push(EquivalenceClass {
                sig: *sig,
                members: vec![member.clone()],
                constant: Some(value.clone()),
            }),
        }
        false
    });
    classes
}

/// A plan of some of the region's leaves, joined in `order`.
#[derive(Clone)]
struct Partial {
    plan: PhysicalPlan,
    order: Vec<usize>,
    leaves: u64,
}

/// The region's conditions, each with the leaves it reads.
struct Conditions {
    fixed: Vec<(BoundExpr, u64)>,
    /// Classes without a constant, with the leaf each member reads: their equalities between leaves are
    /// made per join step.
    joining: Vec<(EquivalenceClass, Vec<u64>)>,
}

impl Conditions {
    /// The conditions that become applicable when `leaf` joins `leaves` (all of them when `leaves` is
    /// empty: the leaf's own restrictions and the constant ones).
    fn joining_leaf(&self, leaves: u64, leaf: usize) -> Vec<BoundExpr> {
        let with_leaf = leaves | 1 << leaf;
        let mut out: Vec<BoundExpr> = self
            .fixed
            .iter()
            .filter(|(_, mask)| mask & !with_leaf == 0 && (leaves == 0 || mask & !leaves != 0))
            .map(|(c, _)| c.clone())
            .collect();
        if leaves != 0 {
            for (class, masks) in &self.joining {
                let members = || class.members.iter().zip(masks);
                if let Some((known, _)) = members().find(|(_, mask)| *mask & leaves != 0) {
                    for (member, _) in members().filter(|(_, mask)| **mask == 1 << leaf) {
                        // The new leaf's column first, as PostgreSQL prints an index condition.
                        out.push(class.equality(member, known));
                    }
                }
            }
        }
        out
    }

    /// Whether some condition relates `leaf` to `leaves`.
    fn connects(&self, leaves: u64, leaf: usize) -> bool {
        let bit = 1 << leaf;
        self.fixed.iter().any(|(_, mask)| mask & bit != 0 && mask & leaves != 0 && mask & !(leaves | bit) == 0)
            || self.joining.iter().any(|(_, masks)| {
                let read: u64 = masks.iter().fold(0, |all, mask| all | mask);
                read & bit != 0 && read & leaves != 0
            })
    }
}

impl Planner<'_, '_> {
    /// Plans an inner-join region with the WHERE conjuncts over its written row. Returns the plan (its rows
    /// in the written order) and the conjuncts left to apply above it.
    pub(super) fn plan_region(&mut self, region: Region, conjuncts: Vec<BoundExpr>) -> (PhysicalPlan, Vec<BoundExpr>) {
        let (above, movable): (Vec<BoundExpr>, Vec<BoundExpr>) =
            conjuncts.into_iter().partition(|c| !c.subqueries().is_empty());
        let mut conditions = region.conditions.clone();
        conditions.extend(movable.iter().map(|c| c.replace_columns(&|p| region.layout[p].clone())));
        let classes = gather_classes(&mut conditions);
        let mut fixed: Vec<(BoundExpr, u64)> =
            conditions.into_iter().map(|c| (c.clone(), region.leaves_read(&c))).collect();
        let mut joining = Vec::new();
        for class in classes {
            if let Some(constant) = &class.constant {
                for member in &class.members {
                    fixed.push((class.equality(member, constant), region.leaves_read(member)));
                }
                continue;
            }
            // Members of one leaf are equal to each other there.
            let mut by_leaf: HashMap<u64, Vec<&BoundExpr>> = HashMap::new();
            for member in &class.members {
                by_leaf.entry(region.leaves_read(member)).or_default().push(member);
            }
            for (mask, members) in by_leaf {
                for pair in members.windows(2) {
                    fixed.push((class.equality(pair[0], pair[1]), mask));
                }
            }
            let masks = class.members.iter().map(|m| region.leaves_read(m)).collect();
            joining.push((class, masks));
        }
        let conditions = Conditions { fixed, joining };

        let n = region.leaves.len();
        let mut best: HashMap<u64, Partial> = HashMap::new();
        for leaf in 0..n {
            let partial = self.first_leaf(&region, &conditions, leaf);
            best.insert(1 << leaf, partial);
        }
        let all: u64 = if n == 64 { u64::MAX } else { (1 << n) - 1 };
        if n <= EXHAUSTIVE_LIMIT {
            for size in 2..=n as u32 {
                for set in (1..=all).filter(|s: &u64| s.count_ones() == size) {
                    let members: Vec<usize> = (0..n).filter(|l| set & 1 << l != 0).collect();
                    let connected: Vec<usize> =
                        members.iter().copied().filter(|&l| conditions.connects(set & !(1 << l), l)).collect();
                    let candidates = if connected.is_empty() { members } else { connected };
                    let mut chosen: Option<Partial> = None;
                    // Last leaf first: on equal costs the written order wins.
                    for leaf in candidates.into_iter().rev() {
                        let Some(left) = best.get(&(set & !(1 << leaf))).cloned() else { continue };
                        let partial = self.join_leaf(&region, &conditions, left, leaf);
                        if chosen.as_ref().is_none_or(|c| partial.plan.estimate.total_cost < c.plan.estimate.total_cost)
                        {
                            chosen = Some(partial);
                        }
                    }
                    if let Some(chosen) = chosen {
                        best.insert(set, chosen);
                    }
                }
            }
        } else {
            // Greedy: start from the smallest leaf, then add the leaf that makes the cheapest join.
            let start = (0..n)
                .min_by(|a, b| best[&(1 << a)].plan.estimate.rows.total_cmp(&best[&(1 << b)].plan.estimate.rows))
                .expect("a region has leaves");
            let mut current = best[&(1 << start)].clone();
            while current.leaves != all {
                let remaining: Vec<usize> = (0..n).filter(|l| current.leaves & 1 << l == 0).collect();
                let connected: Vec<usize> =
                    remaining.iter().copied().filter(|&l| conditions.connects(current.leaves, l)).collect();
                let candidates = if connected.is_empty() { remaining } else { connected };
                current = candidates
                    .into_iter()
                    .map(|leaf| self.join_leaf(&region, &conditions, current.clone(), leaf))
                    .min_by(|a, b| a.plan.estimate.total_cost.total_cmp(&b.plan.estimate.total_cost))
                    .expect("a leaf remains");
            }
            best.insert(all, current);
        }
        let chosen = best.remove(&all).expect("every leaf set has a plan");
        (self.written_order(&region, chosen), above)
    }

    /// Plans one leaf alone with its own restrictions.
    fn first_leaf(&mut self, region: &Region, conditions: &Conditions, leaf: usize) -> Partial {
        let offset = region.offsets[leaf];
        let restrictions: Vec<BoundExpr> =
            conditions.joining_leaf(0, leaf).iter().map(|c| c.map_columns(&|p| p - offset)).collect();
        let (mut plan, leftover, _) = self.source(region.leaves[leaf], restrictions, None, None, None);
        if let Some(predicate) = BoundExpr::and_of(leftover) {
            plan = self.filter(plan, predicate);
        }
        Partial { plan, order: vec![leaf], leaves: 1 << leaf }
    }

    /// Joins `leaf` to a partial plan (as the right input).
    fn join_leaf(&mut self, region: &Region, conditions: &Conditions, left: Partial, leaf: usize) -> Partial {
        // Canonical position -> position in the joined row (the partial's leaves in order, then `leaf`).
        let mut starts = vec![usize::MAX; region.leaves.len()];
        let mut width = 0;
        for &l in &left.order {
            starts[l] = width;
            width += region.widths[l];
        }
        starts[leaf] = width;
        let position = |p: usize| {
            let l = region.leaf_of(p);
            starts[l] + (p - region.offsets[l])
        };
        let applicable: Vec<BoundExpr> =
            conditions.joining_leaf(left.leaves, leaf).iter().map(|c| c.map_columns(&position)).collect();
        let (mut plan, leftover) = self.join_planned(
            JoinKind::Inner,
            left.plan,
            width,
            region.leaves[leaf],
            region.widths[leaf],
            None,
            &[],
            applicable,
        );
        if let Some(predicate) = BoundExpr::and_of(leftover) {
            plan = self.filter(plan, predicate);
        }
        let mut order = left.order;
        order.push(leaf);
        Partial { plan, order, leaves: left.leaves | 1 << leaf }
    }

    /// The region's plan with its rows rearranged into the written layout (none needed when the order is
    /// the written one and no USING column was merged).
    fn written_order(&mut self, region: &Region, chosen: Partial) -> PhysicalPlan {
        let mut starts = vec![0; region.leaves.len()];
        let mut width = 0;
        for &l in &chosen.order {
            starts[l] = width;
            width += region.widths[l];
        }
        let exprs: Vec<BoundExpr> = region
            .layout
            .iter()
            .map(|e| {
                e.replace_columns(&|p| {
                    let l = region.leaf_of(p);
                    BoundExpr::Column(starts[l] + (p - region.offsets[l]))
                })
            })
            .collect();
        let identity = exprs.len() == width && exprs.iter().enumerate().all(|(i, e)| *e == BoundExpr::Column(i));
        if identity {
            return chosen.plan;
        }
        let estimate = chosen.plan.estimate;
        self.node(Node::Project { input: Box::new(chosen.plan), exprs }, estimate)
    }
}
