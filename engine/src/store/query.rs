//! List queries: the REST layer turns Camunda's query parameters into a [`Query`] of
//! column filters; the store turns it into one parameterized SQL statement.
//!
//! Column and table names are `&'static str` chosen by the caller's code, never text
//! from a request, so they can be placed into SQL; values are always bound parameters.

/// A value compared in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// Text.
    Text(String),
    /// Integer (also booleans as 0/1 in variable comparisons).
    Int(i64),
    /// Floating point.
    Float(f64),
    /// Boolean column.
    Bool(bool),
}

/// Comparison operators, as Camunda's `variables` filter names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `neq`
    Neq,
    /// `gt`
    Gt,
    /// `gteq`
    Gteq,
    /// `lt`
    Lt,
    /// `lteq`
    Lteq,
    /// `like` (SQL LIKE with `%` and `_`)
    Like,
}

impl Op {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Neq => "<>",
            Op::Gt => ">",
            Op::Gteq => ">=",
            Op::Lt => "<",
            Op::Lteq => "<=",
            Op::Like => "LIKE",
        }
    }

    /// Parses Camunda's operator names.
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gteq" => Op::Gteq,
            "lt" => Op::Lt,
            "lteq" => Op::Lteq,
            "like" => Op::Like,
            _ => return None,
        })
    }
}

/// One condition on the rows of a list query.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `column <op> value`.
    Cmp(&'static str, Op, SqlValue),
    /// `column IN (values)`; an empty list matches nothing.
    In(&'static str, Vec<SqlValue>),
    /// `column NOT IN (values)`.
    NotIn(&'static str, Vec<SqlValue>),
    /// `column IS NULL`.
    IsNull(&'static str),
    /// `column IS NOT NULL`.
    NotNull(&'static str),
    /// A variable of the process instance in `instance_column` compares to a value:
    /// `EXISTS (SELECT 1 FROM variable v WHERE v.scope_id = <instance_column> ...)`.
    Variable {
        /// The column holding the process instance id (or execution id).
        instance_column: &'static str,
        /// Match on the variable's scope (`scope_id`) rather than its instance.
        by_scope: bool,
        /// The variable name.
        name: String,
        /// The comparison.
        op: Op,
        /// The value.
        value: SqlValue,
        /// Compare names and text values without regard to case.
        ignore_case: bool,
    },
    /// Rows whose `column` is in the set returned by a fixed sub-select (one of
    /// [`SubSelect`]).
    InSubSelect(&'static str, SubSelect, Vec<SqlValue>),
    /// Any of the filters holds.
    Any(Vec<Filter>),
    /// Matches nothing (an impossible combination of parameters).
    Nothing,
}

/// Fixed sub-selects the REST layer needs for joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubSelect {
    /// Task ids whose candidates include one of the given (kind, value) pairs, given as
    /// alternating kind and value parameters.
    TaskCandidates,
    /// Instance ids that have an incident.
    InstancesWithIncident,
    /// Instance ids with a running activity among the given activity ids.
    InstancesAtActivity,
    /// Definition ids that are the latest version of their key and tenant.
    LatestDefinitions,
    /// The calling (super) instances of the given instances.
    SuperInstancesOf,
    /// Ids of running instances owned by one of the given tenants (for rows, such as
    /// variables, that have no tenant column of their own).
    InstancesOfTenants,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A list query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// All must hold.
    pub filters: Vec<Filter>,
    /// Sort keys, in order; ties are broken by the primary key.
    pub order: Vec<(&'static str, Order)>,
    /// Rows to skip.
    pub first: i64,
    /// Most rows to return; None for all.
    pub max: Option<i64>,
}

impl Query {
    /// A query with no condition.
    pub fn all() -> Self {
        Query::default()
    }

    /// Adds a filter.
    pub fn filter(mut self, f: Filter) -> Self {
        self.filters.push(f);
        self
    }

    /// Adds `column = value`.
    pub fn eq(self, column: &'static str, value: impl Into<SqlValue>) -> Self {
        self.filter(Filter::Cmp(column, Op::Eq, value.into()))
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(n: i64) -> Self {
        SqlValue::Int(n)
    }
}

impl From<bool> for SqlValue {
    fn from(b: bool) -> Self {
        SqlValue::Bool(b)
    }
}
