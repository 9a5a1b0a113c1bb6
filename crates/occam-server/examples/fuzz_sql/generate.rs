//! The fixed schema and the random query generator of the differential SQL fuzzer (`main.rs` runs what
//! this writes on occam and on PostgreSQL and compares the answers).
//!
//! Every query is built from one seeded random number generator, so a seed and an iteration number name
//! a query exactly (`fuzz_sql --seed S --start I --count 1` prints it again). The generator knows the type
//! of every expression it writes, so what it writes is valid SQL for PostgreSQL in principle; it also avoids
//! what would make the *right* answer depend on the plan: errors that only some rows raise (division by
//! zero, overflow, failing casts: divisors go through `NULLIF(.., 0)`, multipliers are small literals, casts
//! never fail), `LIMIT` without an `ORDER BY` that fixes the rows, and window functions whose result depends
//! on the order of peers (their `ORDER BY` ends with every table's primary key where that matters).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The kind of value an expression yields; expressions of one kind are interchangeable in comparisons,
/// `CASE`, `COALESCE` and set operations (`Int` covers int4, int8 and integral numeric: PostgreSQL unifies
/// them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Num,
    Float,
    Text,
    Bool,
    Date,
}

const ALL_TYPES: [Ty; 6] = [Ty::Int, Ty::Num, Ty::Float, Ty::Text, Ty::Bool, Ty::Date];

impl Ty {
    fn null(self) -> &'static str {
        match self {
            Ty::Int => "NULL::int",
            Ty::Num => "NULL::numeric",
            Ty::Float => "NULL::float8",
            Ty::Text => "NULL::text",
            Ty::Bool => "NULL::boolean",
            Ty::Date => "NULL::date",
        }
    }
}

/// A base table of the fixed schema: its columns and its primary key.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
    key: &'static [&'static str],
}

const TABLES: &[Table] = &[
    Table {
        name: "fz_a",
        columns: &[
            ("id", Ty::Int),
            ("x", Ty::Int),
            ("y", Ty::Int),
            ("s", Ty::Text),
            ("n", Ty::Num),
            ("b", Ty::Bool),
            ("d", Ty::Date),
            ("f", Ty::Float),
        ],
        key: &["id"],
    },
    Table {
        name: "fz_b",
        columns: &[
            ("id", Ty::Int),
            ("a_id", Ty::Int),
            ("x", Ty::Int),
            ("s", Ty::Text),
            ("n", Ty::Num),
            ("f", Ty::Float),
        ],
        key: &["id"],
    },
    Table {
        name: "fz_c",
        columns: &[("k", Ty::Int), ("v", Ty::Int), ("t", Ty::Text), ("b", Ty::Bool)],
        key: &["k", "v"],
    },
    // Always empty: aggregates over no rows, outer joins against nothing, NOT IN over an empty set.
    Table { name: "fz_e", columns: &[("id", Ty::Int), ("x", Ty::Int), ("s", Ty::Text)], key: &["id"] },
];

/// The statements that create and fill the schema. The data comes from a fixed seed (not the run's), so
/// every run sees the same rows: duplicates, NULLs in every nullable column, empty strings, LIKE's
/// metacharacters, negative numerics and floats that are exact in binary (so float sums do not depend on
/// the order they are added in).
pub fn schema(with_secondary_indexes: bool) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(0x5eed_f022);
    let mut statements: Vec<String> = TABLES.iter().map(|t| format!("DROP TABLE IF EXISTS {}", t.name)).collect();
    statements.push(
        "CREATE TABLE fz_a (id int PRIMARY KEY, x int, y int, s text, n numeric(10,2), b boolean, d date, f float8)"
            .into(),
    );
    statements
        .push("CREATE TABLE fz_b (id int PRIMARY KEY, a_id int, x int, s text, n numeric(10,2), f float8)".into());
    statements.push("CREATE TABLE fz_c (k int, v int, t text, b boolean, PRIMARY KEY (k, v))".into());
    statements.push("CREATE TABLE fz_e (id int PRIMARY KEY, x int, s text)".into());
    if with_secondary_indexes {
        statements.push("CREATE INDEX fz_a_x ON fz_a (x)".into());
        statements.push("CREATE INDEX fz_b_a_id ON fz_b (a_id, x)".into());
        statements.push("CREATE INDEX fz_c_t ON fz_c (t)".into());
    }
    let texts = ["''", "'a'", "'ab'", "'abc'", "'b'", "'A'", "'B b'", "'x%y'", "'a_c'", "' a '", "'zz'"];
    let nums = ["0", "1.5", "-2.25", "10.00", "99.99", "-0.01", "3", "1000.5"];
    let floats = ["0", "0.5", "-1.25", "2", "1024", "-0.125", "1e6", "3.75"];
    // A quarter of the values in every nullable column are NULL.
    fn maybe(value: String, rng: &mut StdRng) -> String {
        if rng.gen_bool(0.25) {
            "NULL".to_string()
        } else {
            value
        }
    }
    let mut rows = Vec::new();
    for id in 1..=40 {
        let x = maybe(rng.gen_range(0..8).to_string(), &mut rng);
        let y = maybe(rng.gen_range(-4..5).to_string(), &mut rng);
        let s = maybe(texts.choose(&mut rng).unwrap().to_string(), &mut rng);
        let n = maybe(nums.choose(&mut rng).unwrap().to_string(), &mut rng);
        let b = maybe(rng.gen_bool(0.5).to_string(), &mut rng);
        let d = maybe(format!("DATE '2024-01-01' + {}", rng.gen_range(0..60)), &mut rng);
        let f = maybe(floats.choose(&mut rng).unwrap().to_string(), &mut rng);
        rows.push(format!("({id}, {x}, {y}, {s}, {n}, {b}, {d}, {f})"));
    }
    statements.push(format!("INSERT INTO fz_a VALUES {}", rows.join(", ")));
    rows.clear();
    for id in 1..=30 {
        let a_id = maybe(rng.gen_range(0..45).to_string(), &mut rng);
        let x = maybe(rng.gen_range(0..6).to_string(), &mut rng);
        let s = maybe(texts.choose(&mut rng).unwrap().to_string(), &mut rng);
        let n = maybe(nums.choose(&mut rng).unwrap().to_string(), &mut rng);
        let f = maybe(floats.choose(&mut rng).unwrap().to_string(), &mut rng);
        rows.push(format!("({id}, {a_id}, {x}, {s}, {n}, {f})"));
    }
    statements.push(format!("INSERT INTO fz_b VALUES {}", rows.join(", ")));
    rows.clear();
    for k in 0..6 {
        for v in 0..4 {
            if rng.gen_bool(0.2) {
                continue;
            }
            let t = maybe(texts.choose(&mut rng).unwrap().to_string(), &mut rng);
            let b = maybe(rng.gen_bool(0.5).to_string(), &mut rng);
            rows.push(format!("({k}, {v}, {t}, {b})"));
        }
    }
    statements.push(format!("INSERT INTO fz_c VALUES {}", rows.join(", ")));
    statements.push("ANALYZE".into());
    statements
}

/// A generated query: its text, the kinds of its output columns, and whether its ORDER BY fixes the
/// order of its rows (then the rows are compared in order, else as multisets).
pub struct Query {
    pub sql: String,
    pub types: Vec<Ty>,
    pub ordered: bool,
}

/// A column in scope: how to refer to it and its kind.
#[derive(Clone)]
struct Col {
    sql: String,
    ty: Ty,
}

/// What an expression may refer to. In a grouped query `cols` holds the grouping columns (and any outer
/// columns) and `agg_input` the rows' columns, which only aggregate arguments may use.
#[derive(Clone, Default)]
struct Scope {
    cols: Vec<Col>,
    agg_input: Option<Vec<Col>>,
}

/// A relation a FROM item can name: a base table, a CTE, or (built on the spot) a derived table.
#[derive(Clone)]
struct Source {
    name: String,
    columns: Vec<(String, Ty)>,
    /// Columns that identify a row, if known (base tables' primary keys, the counting CTE's column).
    key: Option<Vec<String>>,
}

/// Builds queries from one seeded random number generator.
pub struct Generator {
    rng: StdRng,
    next_alias: usize,
    ctes: Vec<Source>,
}

impl Generator {
    pub fn new(seed: u64, iteration: u64) -> Self {
        let mixed = seed ^ iteration.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
        Generator { rng: StdRng::seed_from_u64(mixed), next_alias: 0, ctes: Vec::new() }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("non-empty choice")
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.next_alias += 1;
        format!("{prefix}{}", self.next_alias)
    }

    /// One top-level query: maybe a WITH clause, then a SELECT or a set operation, maybe fully ordered
    /// with LIMIT/OFFSET.
    pub fn query(&mut self) -> Query {
        let mut with = Vec::new();
        let mut recursive = false;
        if self.chance(0.2) {
            let name = self.alias("cte");
            let inner = self.select(2, None, &Scope::default(), false);
            with.push(format!("{name} AS ({})", inner.sql));
            self.ctes.push(Source { name, columns: numbered(&inner.types), key: None });
        }
        if self.chance(0.1) {
            recursive = true;
            let name = self.alias("rec");
            let limit = self.rng.gen_range(0..12);
            if self.chance(0.5) {
                with.push(format!("{name}(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM {name} WHERE n < {limit})"));
                self.ctes.push(Source { name, columns: vec![("n".into(), Ty::Int)], key: Some(vec!["n".into()]) });
            } else {
                // Walks fz_a by id: a join inside the recursive term.
                with.push(format!(
                    "{name}(n, x) AS (SELECT id, x FROM fz_a WHERE id = 1 UNION ALL \
                     SELECT a.id, a.x FROM fz_a a JOIN {name} r ON a.id = r.n + 2 WHERE r.n < {limit})"
                ));
                self.ctes.push(Source {
                    name,
                    columns: vec![("n".into(), Ty::Int), ("x".into(), Ty::Int)],
                    key: Some(vec!["n".into()]),
                });
            }
        }
        let body = if self.chance(0.15) {
            self.set_operation(2, None, true)
        } else {
            self.select(3, None, &Scope::default(), true)
        };
        let sql = if with.is_empty() {
            body.sql
        } else {
            format!("WITH {}{} {}", if recursive { "RECURSIVE " } else { "" }, with.join(", "), body.sql)
        };
        Query { sql, types: body.types, ordered: body.ordered }
    }

    /// `q1 UNION|INTERSECT|EXCEPT [ALL] q2`, both sides with the same kinds of columns.
    fn set_operation(&mut self, depth: u32, want: Option<&[Ty]>, top: bool) -> Query {
        let left = self.select(depth, want, &Scope::default(), false);
        let right = self.select(depth, Some(&left.types), &Scope::default(), false);
        let op = *self.pick(&["UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL"]);
        let mut sql = format!("{} {op} {}", branch(&left.sql), branch(&right.sql));
        let mut ordered = false;
        if top && self.chance(0.5) {
            sql.push_str(&self.full_order_by(left.types.len(), false));
            ordered = true;
            sql.push_str(&self.limit_offset());
        }
        Query { sql, types: left.types, ordered }
    }

    /// `ORDER BY` every output column (by position, in a random order and directions), so the order of
    /// the rows is fixed: rows that tie are equal.
    fn full_order_by(&mut self, columns: usize, first_fixed: bool) -> String {
        let mut positions: Vec<usize> = (1..=columns).collect();
        if first_fixed {
            positions[1..].shuffle(&mut self.rng);
        } else {
            positions.shuffle(&mut self.rng);
        }
        let items: Vec<String> = positions.iter().map(|p| format!("{p}{}", self.direction())).collect();
        format!(" ORDER BY {}", items.join(", "))
    }

    fn direction(&mut self) -> String {
        let dir = *self.pick(&["", " ASC", " DESC"]);
        let nulls = *self.pick(&["", "", " NULLS FIRST", " NULLS LAST"]);
        format!("{dir}{nulls}")
    }

    fn limit_offset(&mut self) -> String {
        let mut out = String::new();
        if self.chance(0.5) {
            out.push_str(&format!(" LIMIT {}", self.rng.gen_range(0..8)));
        }
        if self.chance(0.3) {
            out.push_str(&format!(" OFFSET {}", self.rng.gen_range(0..5)));
        }
        out
    }

    /// The FROM clause: comma-separated chains of joins. Returns its text, the columns it brings into
    /// scope and the columns that together identify its rows (None when some item has no key).
    fn build_from(&mut self, depth: u32, outer: &Scope) -> (String, Vec<Col>, Option<Vec<String>>) {
        let chains = if self.chance(0.15) { 2 } else { 1 };
        let mut parts = Vec::new();
        let mut all_cols = Vec::new();
        let mut keys = Some(Vec::new());
        for _ in 0..chains {
            let items = if self.chance(0.45) {
                1
            } else if self.chance(0.7) {
                2
            } else {
                3
            };
            let mut chain = String::new();
            let mut chain_cols: Vec<Col> = Vec::new();
            for i in 0..items {
                let (item, cols, key) = self.build_from_item(depth);
                match (&mut keys, key) {
                    (Some(all), Some(key)) => all.extend(key),
                    _ => keys = None,
                }
                if i == 0 {
                    chain = item;
                } else {
                    let kind =
                        *self.pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN", "INNER JOIN"]);
                    if kind == "CROSS JOIN" {
                        chain = format!("{chain} CROSS JOIN {item}");
                    } else {
                        // An equality between the new item and the chain so far (PostgreSQL runs FULL JOIN
                        // only with hash- or merge-joinable conditions: an equality alone there).
                        let on = self.join_condition(&chain_cols, &cols, kind == "FULL JOIN", outer);
                        chain = format!("{chain} {kind} {item} ON {on}");
                    }
                }
                chain_cols.extend(cols);
            }
            parts.push(chain);
            all_cols.extend(chain_cols);
        }
        (parts.join(", "), all_cols, keys)
    }

    fn join_condition(&mut self, left: &[Col], right: &[Col], equality_only: bool, outer: &Scope) -> String {
        let pairs: Vec<(Col, Col)> = left
            .iter()
            .flat_map(|l| {
                right.iter().filter(|r| r.ty == l.ty && l.ty != Ty::Float).map(move |r| (l.clone(), r.clone()))
            })
            .collect();
        let equality = if pairs.is_empty() {
            None
        } else {
            let (l, r) = self.pick(&pairs).clone();
            Some(format!("{} = {}", l.sql, r.sql))
        };
        if equality_only {
            return equality.unwrap_or_else(|| "true".into());
        }
        let mut scope = outer.clone();
        scope.cols.extend(left.iter().cloned());
        scope.cols.extend(right.iter().cloned());
        match equality {
            Some(eq) if self.chance(0.7) => {
                if self.chance(0.3) {
                    let extra = self.expr(Ty::Bool, &scope, 1, false);
                    format!("{eq} AND {extra}")
                } else {
                    eq
                }
            }
            _ => self.expr(Ty::Bool, &scope, 2, false),
        }
    }

    /// One FROM item with a fresh alias: a base table, a CTE, or a derived table.
    fn build_from_item(&mut self, depth: u32) -> (String, Vec<Col>, Option<Vec<String>>) {
        let alias = self.alias("t");
        let roll = self.rng.gen_range(0..100);
        if roll < 15 && depth > 0 {
            let sub = if self.chance(0.2) {
                self.set_operation(depth - 1, None, false)
            } else {
                self.select(depth - 1, None, &Scope::default(), false)
            };
            let cols =
                numbered(&sub.types).into_iter().map(|(c, ty)| Col { sql: format!("{alias}.{c}"), ty }).collect();
            return (format!("({}) AS {alias}", sub.sql), cols, None);
        }
        if roll < 30 && !self.ctes.is_empty() {
            let source = self.pick(&self.ctes.clone()).clone();
            return self.name_source(&source, alias);
        }
        let table = self.pick(TABLES);
        let source = Source {
            name: table.name.into(),
            columns: table.columns.iter().map(|(c, ty)| (c.to_string(), *ty)).collect(),
            key: Some(table.key.iter().map(|k| k.to_string()).collect()),
        };
        self.name_source(&source, alias)
    }

    fn name_source(&mut self, source: &Source, alias: String) -> (String, Vec<Col>, Option<Vec<String>>) {
        let cols = source.columns.iter().map(|(c, ty)| Col { sql: format!("{alias}.{c}"), ty: *ty }).collect();
        let key = source.key.as_ref().map(|key| key.iter().map(|k| format!("{alias}.{k}")).collect());
        (format!("{} {alias}", source.name), cols, key)
    }

    /// A SELECT: plain, grouped (GROUP BY / HAVING / aggregates with DISTINCT and FILTER) or with window
    /// functions; maybe DISTINCT or DISTINCT ON; maybe ordered. `want` fixes the output columns' kinds (for
    /// set operations and subqueries); `outer` is what a correlated subquery may refer to; `top` allows
    /// the final ORDER BY / LIMIT.
    fn select(&mut self, depth: u32, want: Option<&[Ty]>, outer: &Scope, top: bool) -> Query {
        let (from, cols, keys) = self.build_from(depth, outer);
        let mut row_scope = outer.clone();
        row_scope.cols.extend(cols.iter().cloned());
        let types: Vec<Ty> = match want {
            Some(types) => types.to_vec(),
            None => (0..self.rng.gen_range(1..=4)).map(|_| *self.pick(&ALL_TYPES)).collect(),
        };
        let mode = self.rng.gen_range(0..100);
        let grouped = mode < 30;
        let windowed = !grouped && mode < 45 && keys.is_some();
        let sub_depth = depth.min(2);

        let mut sql = String::from("SELECT ");
        let mut items = Vec::new();
        let mut group_by = Vec::new();
        let output_scope = if grouped {
            let group_cols: Vec<Col> = if self.chance(0.2) {
                Vec::new()
            } else {
                let n = self.rng.gen_range(1..=2);
                (0..n).map(|_| self.pick(&cols).clone()).collect()
            };
            group_by = group_cols.iter().map(|c| c.sql.clone()).collect();
            let mut scope = outer.clone();
            scope.cols.extend(group_cols);
            // Aggregates take the local rows' columns only: an aggregate over nothing but outer columns
            // would belong to the outer query (and be an error in its WHERE).
            scope.agg_input = Some(cols.clone());
            scope
        } else {
            row_scope.clone()
        };
        for ty in &types {
            let item = if windowed && self.chance(0.5) {
                self.window_call(*ty, &row_scope, keys.as_deref().unwrap_or_default())
            } else if grouped && self.chance(0.5) {
                self.aggregate(*ty, output_scope.agg_input.as_deref().unwrap_or_default(), sub_depth)
            } else {
                self.expr(*ty, &output_scope, sub_depth, depth > 0)
            };
            items.push(item);
        }
        let ordered = top && self.chance(0.5);
        let distinct_on = ordered && !grouped && !windowed && self.chance(0.15);
        if distinct_on {
            // A bare literal would be a position (an integer) or an error: name the column instead.
            // Known occam bug, left out: DISTINCT ON (<subquery>) with ORDER BY 1 fails with 42P10 (the
            // two bindings of the subquery are not recognised as one expression).
            let key = if is_bare_literal(&items[0]) || items[0].contains("SELECT") || self.chance(0.3) {
                (*self.pick(&["c0", "1"])).to_string()
            } else {
                items[0].clone()
            };
            sql.push_str(&format!("DISTINCT ON ({key}) "));
        } else if self.chance(0.12) {
            sql.push_str("DISTINCT ");
        }
        let listed: Vec<String> = items.iter().enumerate().map(|(i, e)| format!("{e} AS c{i}")).collect();
        sql.push_str(&listed.join(", "));
        sql.push_str(" FROM ");
        sql.push_str(&from);
        if self.chance(0.65) {
            let predicate = self.expr(Ty::Bool, &row_scope, 3, depth > 0);
            sql.push_str(&format!(" WHERE {predicate}"));
        }
        if grouped {
            if !group_by.is_empty() {
                sql.push_str(&format!(" GROUP BY {}", group_by.join(", ")));
            }
            if self.chance(0.35) {
                let having = self.expr(Ty::Bool, &output_scope, 2, false);
                sql.push_str(&format!(" HAVING {having}"));
            }
        }
        if ordered {
            sql.push_str(&self.full_order_by(types.len(), distinct_on));
            sql.push_str(&self.limit_offset());
        } else if !top && depth > 0 && self.chance(0.1) {
            // A derived table with ORDER BY ... LIMIT: the rows it keeps are fixed, their order is not
            // visible from outside.
            sql.push_str(&self.full_order_by(types.len(), false));
            sql.push_str(&format!(" LIMIT {}", self.rng.gen_range(0..6)));
        } else if top && self.chance(0.2) {
            // Ordered by one column only: the order is not fixed, so compared as a multiset.
            sql.push_str(&format!(" ORDER BY {}{}", self.rng.gen_range(1..=types.len()), self.direction()));
        }
        Query { sql, types, ordered }
    }

    /// An aggregate call yielding `ty` over the rows' columns, maybe with DISTINCT or FILTER.
    fn aggregate(&mut self, ty: Ty, input: &[Col], depth: u32) -> String {
        let scope = Scope { cols: input.to_vec(), agg_input: None };
        let filter = if self.chance(0.2) {
            format!(" FILTER (WHERE {})", self.expr(Ty::Bool, &scope, 1, false))
        } else {
            String::new()
        };
        let distinct = if self.chance(0.2) { "DISTINCT " } else { "" };
        let arg_depth = depth.min(1);
        let call = match ty {
            Ty::Int => match self.rng.gen_range(0..5) {
                0 => "count(*)".to_string(),
                1 => format!("count({distinct}{})", self.expr_of(&ALL_TYPES, &scope, arg_depth, false)),
                2 => format!("sum({distinct}{})", self.expr(Ty::Int, &scope, arg_depth, false)),
                3 => format!("min({})", self.expr(Ty::Int, &scope, arg_depth, false)),
                _ => format!("max({distinct}{})", self.expr(Ty::Int, &scope, arg_depth, false)),
            },
            Ty::Num => match self.rng.gen_range(0..4) {
                0 => format!("avg({distinct}{})", self.expr(Ty::Int, &scope, arg_depth, false)),
                1 => format!("avg({distinct}{})", self.expr(Ty::Num, &scope, arg_depth, false)),
                2 => format!("sum({distinct}{})", self.expr(Ty::Num, &scope, arg_depth, false)),
                _ => format!("max({})", self.expr(Ty::Num, &scope, arg_depth, false)),
            },
            Ty::Float => match self.rng.gen_range(0..3) {
                0 => format!("sum({})", self.expr(Ty::Float, &scope, arg_depth, false)),
                1 => format!("avg({})", self.expr(Ty::Float, &scope, arg_depth, false)),
                _ => format!("min({})", self.expr(Ty::Float, &scope, arg_depth, false)),
            },
            Ty::Text => format!("{}({})", self.pick(&["min", "max"]), self.expr(Ty::Text, &scope, arg_depth, false)),
            Ty::Bool => {
                format!("{}({})", self.pick(&["bool_and", "bool_or"]), self.expr(Ty::Bool, &scope, arg_depth, false))
            }
            Ty::Date => format!("{}({})", self.pick(&["min", "max"]), self.expr(Ty::Date, &scope, arg_depth, false)),
        };
        format!("{call}{filter}")
    }

    /// A window function call yielding `ty`. `keys` identify the rows: appended to the window's ORDER BY
    /// where the result depends on the order among peers (row_number, lag, first_value, ROWS frames).
    fn window_call(&mut self, ty: Ty, scope: &Scope, keys: &[String]) -> String {
        let partition = if self.chance(0.5) {
            let col = self.pick(&scope.cols).clone();
            format!("PARTITION BY {} ", col.sql)
        } else {
            String::new()
        };
        let mut order: Vec<String> = Vec::new();
        if self.chance(0.8) {
            let col = self.pick(&scope.cols).clone();
            order.push(format!("{}{}", col.sql, self.direction()));
        }
        let plain = Scope { cols: scope.cols.clone(), agg_input: None };
        let (call, needs_total_order, frame_ok) = match ty {
            Ty::Int => match self.rng.gen_range(0..6) {
                0 => ("row_number()".to_string(), true, false),
                1 => ("rank()".to_string(), false, false),
                2 => ("dense_rank()".to_string(), false, false),
                3 => ("count(*)".to_string(), false, true),
                4 => (format!("sum({})", self.expr(Ty::Int, &plain, 1, false)), false, true),
                _ => (format!("lag({})", self.expr(Ty::Int, &plain, 1, false)), true, false),
            },
            Ty::Num => (format!("avg({})", self.expr_of(&[Ty::Int, Ty::Num], &plain, 1, false)), false, true),
            Ty::Float => (format!("sum({})", self.expr(Ty::Float, &plain, 1, false)), false, true),
            Ty::Bool => {
                let f = *self.pick(&["bool_and", "bool_or", "first_value", "lead"]);
                let total = matches!(f, "first_value" | "lead");
                (format!("{f}({})", self.expr(Ty::Bool, &plain, 1, false)), total, f != "lead")
            }
            other => {
                let f = *self.pick(&["min", "max", "first_value", "lead"]);
                let total = matches!(f, "first_value" | "lead");
                // A bare '...' literal has no type a polymorphic function could take.
                let arg = self.expr(other, &plain, 1, false);
                let arg = if arg.starts_with('\'') { format!("{arg}::text") } else { arg };
                (format!("{f}({arg})"), total, f != "lead")
            }
        };
        let frame = if frame_ok && !order.is_empty() && self.chance(0.4) {
            *self.pick(&[
                " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW",
                " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING",
                " ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
                " RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
                " RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
            ])
        } else {
            ""
        };
        if needs_total_order || frame.starts_with(" ROWS") {
            order.extend(keys.iter().cloned());
        }
        let order_by = if order.is_empty() { String::new() } else { format!("ORDER BY {}", order.join(", ")) };
        format!("{call} OVER ({partition}{order_by}{frame})")
    }

    /// A leaf: a column in scope of kind `ty` (in a grouped scope also an aggregate), else a literal.
    fn leaf(&mut self, ty: Ty, scope: &Scope) -> String {
        let matching: Vec<&Col> = scope.cols.iter().filter(|c| c.ty == ty).collect();
        if let Some(input) = &scope.agg_input {
            if self.chance(0.4) {
                let input = input.clone();
                return self.aggregate(ty, &input, 0);
            }
        }
        if !matching.is_empty() && self.chance(0.75) {
            return matching.choose(&mut self.rng).unwrap().sql.clone();
        }
        self.literal(ty)
    }

    fn literal(&mut self, ty: Ty) -> String {
        if self.chance(0.08) {
            return ty.null().into();
        }
        match ty {
            // Negative literals are parenthesised: `-1::text` is `-(1::text)`.
            Ty::Int => match self.rng.gen_range(-3..10) {
                n if n < 0 => format!("({n})"),
                n => n.to_string(),
            },
            Ty::Num => self.pick(&["0.5", "1.25", "(-2.25)", "10.0", "0.01", "99.99", "3.0"]).to_string(),
            Ty::Float => {
                self.pick(&["0.5::float8", "2::float8", "(-1.25::float8)", "1e6::float8", "'0'::float8"]).to_string()
            }
            Ty::Text => self.pick(&["''", "'a'", "'ab'", "'b'", "'A'", "'x%y'", "'abc'", "'zz'"]).to_string(),
            Ty::Bool => self.pick(&["true", "false"]).to_string(),
            Ty::Date => self.pick(&["DATE '2024-01-15'", "DATE '2024-02-01'", "DATE '2023-12-31'"]).to_string(),
        }
    }

    /// An expression of kind `ty`, at most `depth` levels deep; `subqueries` allows (correlated)
    /// subqueries in it.
    fn expr(&mut self, ty: Ty, scope: &Scope, depth: u32, subqueries: bool) -> String {
        if depth == 0 || self.chance(0.3) {
            return self.leaf(ty, scope);
        }
        let d = depth - 1;
        if subqueries && self.chance(0.08) {
            return self.subquery_expr(ty, scope, d);
        }
        match self.rng.gen_range(0..10) {
            0 => {
                let cond = self.expr(Ty::Bool, scope, d, subqueries);
                let a = self.expr(ty, scope, d, subqueries);
                let b = self.expr(ty, scope, d, subqueries);
                if self.chance(0.3) {
                    return format!("CASE WHEN {cond} THEN {a} END");
                }
                return format!("CASE WHEN {cond} THEN {a} ELSE {b} END");
            }
            1 => {
                let a = self.expr(ty, scope, d, subqueries);
                let b = self.expr(ty, scope, d, subqueries);
                return format!("COALESCE({a}, {b})");
            }
            _ => {}
        }
        match ty {
            Ty::Int => match self.rng.gen_range(0..10) {
                0 | 1 => format!(
                    "({} {} {})",
                    self.expr(Ty::Int, scope, d, subqueries),
                    self.pick(&["+", "-"]),
                    self.expr(Ty::Int, scope, d, subqueries)
                ),
                2 => format!("({} * {})", self.expr(Ty::Int, scope, d, subqueries), self.rng.gen_range(-3..4)),
                3 => format!(
                    "({} {} NULLIF({}, 0))",
                    self.expr(Ty::Int, scope, d, subqueries),
                    self.pick(&["/", "%"]),
                    self.expr(Ty::Int, scope, d, subqueries)
                ),
                4 => format!("abs({})", self.expr(Ty::Int, scope, d, subqueries)),
                5 => format!("length({})", self.expr(Ty::Text, scope, d, subqueries)),
                6 => format!("{}::int", self.expr_of(&[Ty::Num, Ty::Float], scope, d, subqueries)),
                7 => format!(
                    "{}({}, {})",
                    self.pick(&["greatest", "least"]),
                    self.expr(Ty::Int, scope, d, subqueries),
                    self.expr(Ty::Int, scope, d, subqueries)
                ),
                8 => format!("({} - {})", self.expr(Ty::Date, scope, d, subqueries), self.literal_date()),
                // The space keeps `- -3` from becoming a `--` comment.
                _ => format!("(- {})", self.expr(Ty::Int, scope, d, subqueries)),
            },
            Ty::Num => match self.rng.gen_range(0..7) {
                0 => format!(
                    "({} {} {})",
                    self.expr(Ty::Num, scope, d, subqueries),
                    self.pick(&["+", "-"]),
                    self.expr_of(&[Ty::Num, Ty::Int], scope, d, subqueries)
                ),
                1 => format!(
                    "({} * {})",
                    self.expr(Ty::Num, scope, d, subqueries),
                    self.pick(&["2", "0.5", "-1.5", "3"])
                ),
                2 => format!(
                    "({} / NULLIF({}, 0))",
                    self.expr(Ty::Num, scope, d, subqueries),
                    self.expr_of(&[Ty::Num, Ty::Int], scope, d, subqueries)
                ),
                3 => format!("round({}, {})", self.expr(Ty::Num, scope, d, subqueries), self.rng.gen_range(0..3)),
                4 => format!("{}::numeric", self.expr(Ty::Int, scope, d, subqueries)),
                5 => format!("abs({})", self.expr(Ty::Num, scope, d, subqueries)),
                _ => {
                    format!("{}({})", self.pick(&["floor", "ceil", "trunc"]), self.expr(Ty::Num, scope, d, subqueries))
                }
            },
            Ty::Float => match self.rng.gen_range(0..5) {
                0 => format!(
                    "({} {} {})",
                    self.expr(Ty::Float, scope, d, subqueries),
                    self.pick(&["+", "-"]),
                    self.expr(Ty::Float, scope, d, subqueries)
                ),
                1 => {
                    format!("({} * {})", self.expr(Ty::Float, scope, d, subqueries), self.pick(&["2", "0.5", "-0.25"]))
                }
                2 => format!("{}::float8", self.expr_of(&[Ty::Int, Ty::Num], scope, d, subqueries)),
                3 => format!("abs({})", self.expr(Ty::Float, scope, d, subqueries)),
                _ => format!(
                    "({} / NULLIF({}, 0))",
                    self.expr(Ty::Float, scope, d, subqueries),
                    self.expr(Ty::Float, scope, d, subqueries)
                ),
            },
            Ty::Text => match self.rng.gen_range(0..9) {
                0 => format!(
                    "({} || {})",
                    self.expr(Ty::Text, scope, d, subqueries),
                    self.expr(Ty::Text, scope, d, subqueries)
                ),
                1 => format!(
                    "{}({})",
                    self.pick(&["upper", "lower", "btrim", "reverse"]),
                    self.expr(Ty::Text, scope, d, subqueries)
                ),
                2 => format!(
                    "substr({}, {}, {})",
                    self.expr(Ty::Text, scope, d, subqueries),
                    self.rng.gen_range(0..4),
                    self.rng.gen_range(0..4)
                ),
                3 => format!("{}::text", self.expr_of(&[Ty::Int, Ty::Num, Ty::Bool, Ty::Date], scope, d, subqueries)),
                4 => format!("replace({}, 'a', 'Q')", self.expr(Ty::Text, scope, d, subqueries)),
                5 => format!(
                    "concat({}, {})",
                    self.expr(Ty::Text, scope, d, subqueries),
                    self.expr_of(&ALL_TYPES, scope, d, subqueries)
                ),
                6 => format!(
                    "{}({}, {})",
                    self.pick(&["left", "right"]),
                    self.expr(Ty::Text, scope, d, subqueries),
                    self.rng.gen_range(-2..4)
                ),
                7 => format!("lpad({}, {}, '*')", self.expr(Ty::Text, scope, d, subqueries), self.rng.gen_range(0..5)),
                _ => format!("NULLIF({}, '')", self.expr(Ty::Text, scope, d, subqueries)),
            },
            Ty::Date => match self.rng.gen_range(0..2) {
                0 => format!("({} + {})", self.expr(Ty::Date, scope, d, subqueries), self.rng.gen_range(-5..30)),
                _ => format!("({} - {})", self.expr(Ty::Date, scope, d, subqueries), self.rng.gen_range(0..10)),
            },
            Ty::Bool => self.predicate(scope, d, subqueries),
        }
    }

    /// An expression of one of the kinds `tys`, chosen at random.
    fn expr_of(&mut self, tys: &[Ty], scope: &Scope, depth: u32, subqueries: bool) -> String {
        let ty = *self.pick(tys);
        self.expr(ty, scope, depth, subqueries)
    }

    fn literal_date(&mut self) -> String {
        self.pick(&["DATE '2024-01-15'", "DATE '2024-02-01'"]).to_string()
    }

    /// A boolean expression: comparisons (NULLs included), AND/OR/NOT, IN lists, BETWEEN, IS [NOT] NULL,
    /// IS [NOT] DISTINCT FROM, LIKE, and subquery predicates.
    fn predicate(&mut self, scope: &Scope, d: u32, subqueries: bool) -> String {
        if subqueries && self.chance(0.15) {
            return self.subquery_predicate(scope, d);
        }
        let ty = *self.pick(&ALL_TYPES);
        match self.rng.gen_range(0..11) {
            0 | 1 => {
                let op = *self.pick(&["=", "<>", "<", "<=", ">", ">="]);
                let a = self.expr(ty, scope, d, subqueries);
                let b = self.expr(ty, scope, d, subqueries);
                format!("({a} {op} {b})")
            }
            2 => {
                let a = self.expr(Ty::Bool, scope, d, subqueries);
                let b = self.expr(Ty::Bool, scope, d, subqueries);
                format!("({a} {} {b})", self.pick(&["AND", "OR"]))
            }
            3 => format!("(NOT {})", self.expr(Ty::Bool, scope, d, subqueries)),
            4 => {
                let a = self.expr(ty, scope, d, subqueries);
                let n = self.rng.gen_range(1..4);
                let list: Vec<String> = (0..n).map(|_| self.expr(ty, scope, d.min(1), false)).collect();
                format!("({a} {}IN ({}))", if self.chance(0.3) { "NOT " } else { "" }, list.join(", "))
            }
            5 => {
                let a = self.expr(ty, scope, d, subqueries);
                let lo = self.expr(ty, scope, d.min(1), false);
                let hi = self.expr(ty, scope, d.min(1), false);
                format!("({a} {}BETWEEN {lo} AND {hi})", if self.chance(0.3) { "NOT " } else { "" })
            }
            6 => format!(
                "({} IS {}NULL)",
                self.expr(ty, scope, d, subqueries),
                if self.chance(0.5) { "NOT " } else { "" }
            ),
            7 => {
                let a = self.expr(ty, scope, d, subqueries);
                let b = self.expr(ty, scope, d, subqueries);
                format!("({a} IS {}DISTINCT FROM {b})", if self.chance(0.5) { "NOT " } else { "" })
            }
            8 => {
                let a = self.expr(Ty::Text, scope, d, subqueries);
                let pattern = *self.pick(&["'a%'", "'%b%'", "'_'", "'%'", "''", "'A%'", "'x\\%y'", "'%c'", "'a_c'"]);
                let op = *self.pick(&["LIKE", "NOT LIKE", "ILIKE"]);
                format!("({a} {op} {pattern})")
            }
            9 => format!(
                "({} IS {})",
                self.expr(Ty::Bool, scope, d, subqueries),
                self.pick(&["TRUE", "FALSE", "NOT TRUE", "NOT FALSE", "UNKNOWN"])
            ),
            _ => self.leaf(Ty::Bool, scope),
        }
    }

    /// EXISTS / NOT EXISTS / IN / NOT IN over a subquery that may refer to the enclosing query's columns.
    fn subquery_predicate(&mut self, scope: &Scope, d: u32) -> String {
        let outer = Scope { cols: scope.cols.clone(), agg_input: None };
        match self.rng.gen_range(0..4) {
            0 | 1 => {
                let sub = self.select(d.min(1), Some(&[Ty::Int]), &outer, false);
                format!("({}EXISTS ({}))", if self.chance(0.3) { "NOT " } else { "" }, sub.sql)
            }
            _ => {
                let ty = *self.pick(&[Ty::Int, Ty::Int, Ty::Text, Ty::Num]);
                let a = self.expr(ty, scope, d.min(1), false);
                let sub = self.select(d.min(1), Some(&[ty]), &outer, false);
                format!("({a} {}IN ({}))", if self.chance(0.4) { "NOT " } else { "" }, sub.sql)
            }
        }
    }

    /// A scalar subquery that yields one row by construction: an aggregate without GROUP BY, or the first
    /// row of a fully ordered result.
    fn subquery_expr(&mut self, ty: Ty, scope: &Scope, d: u32) -> String {
        let outer = Scope { cols: scope.cols.clone(), agg_input: None };
        let (from, cols, _) = self.build_from(0, &outer);
        let mut inner = outer.clone();
        inner.cols.extend(cols.iter().cloned());
        let where_clause = if self.chance(0.7) {
            format!(" WHERE {}", self.expr(Ty::Bool, &inner, d.min(2), false))
        } else {
            String::new()
        };
        if self.chance(0.6) {
            let agg = self.aggregate(ty, &cols, 1);
            format!("(SELECT {agg} FROM {from}{where_clause})")
        } else {
            let e = self.expr(ty, &inner, 1, false);
            format!("(SELECT {e} FROM {from}{where_clause} ORDER BY 1{} LIMIT 1)", self.direction())
        }
    }
}

/// Whether an expression is a literal constant as written (`3`, `'a'`, `0.5`, `true`).
fn is_bare_literal(sql: &str) -> bool {
    // PostgreSQL folds `(-2.25)` and `(- 3)` into one constant.
    let sql: String = sql.chars().filter(|c| !matches!(c, '(' | ')' | ' ')).collect();
    sql.starts_with('\'') || sql.parse::<f64>().is_ok() || sql == "true" || sql == "false"
}

/// A set operation's operand: parenthesised when it has its own ORDER BY / LIMIT.
fn branch(sql: &str) -> String {
    if sql.contains(" LIMIT ") {
        format!("({sql})")
    } else {
        sql.to_string()
    }
}

/// A derived table's columns: `c0`, `c1`, ... (every generated SELECT names its items so).
fn numbered(types: &[Ty]) -> Vec<(String, Ty)> {
    types.iter().enumerate().map(|(i, ty)| (format!("c{i}"), *ty)).collect()
}
