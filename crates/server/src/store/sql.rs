//! The SQL both databases run: statements with `$n` placeholders and the values bound to them
//! in order, rows read by column name, and the migrations.

use std::borrow::Cow;

use super::error::StoreError;

/// The migrations, embedded: the same files for both databases, applied by sqlx's migrator
/// (which records them in `_sqlx_migrations`) on one connection at start-up.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A value bound to a `$n` placeholder. Both databases store BIGINT and TEXT; a NULL keeps its
/// type, which PostgreSQL wants. No `Debug`: values are ciphers and digests.
#[derive(Clone)]
pub(super) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}
impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}
impl From<bool> for Param {
    fn from(value: bool) -> Self {
        Param::Int(Some(i64::from(value)))
    }
}
impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Param::Text(Some(value.to_owned()))
    }
}
impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}
impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Param::Text(Some(value.clone()))
    }
}
impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Self {
        Param::Text(value)
    }
}
impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Self {
        Param::Text(value.map(str::to_owned))
    }
}
impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Param::Text(value.clone())
    }
}

/// SQL text with `$1`..`$n` and the values for them, in order.
pub(super) struct Statement {
    pub(super) sql: Cow<'static, str>,
    pub(super) params: Vec<Param>,
}

impl Statement {
    pub(super) fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Param>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

/// The values of a statement, in the order of its placeholders.
macro_rules! values {
    ($($value:expr),* $(,)?) => { vec![$(crate::store::sql::Param::from($value)),*] };
}
pub(super) use values;

/// One row's columns by name, whichever database read it: a SELECT whose columns move still
/// reads each value from its own column.
pub(super) trait Columns {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
}

/// How a row of a statement becomes a value.
pub(super) type Decode<T> = fn(&dyn Columns) -> Result<T, StoreError>;

/// `($first, ...), (...)`: `rows` rows of `columns` placeholders each, numbered on from
/// `first`. One statement for many rows: a round trip per row was most of the service's time
/// in the database.
pub(super) fn placeholder_rows(rows: usize, columns: usize, first: usize) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            let separator = if column == 0 { "" } else { ", " };
            let _ = write!(text, "{separator}${}", first + row * columns + column);
        }
        text.push(')');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_of_columns_on_from_the_first() {
        assert_eq!(placeholder_rows(1, 3, 1), "($1, $2, $3)");
    }
}
