//! Any report over several environments: the report of each environment and of all of them
//! together, as one set of tables with an `environment` column (`all` for the fleet).

use crate::render::{Cell, Column, Report, Table};
use serde::Serialize;

/// The environment label of the fleet's own rows.
pub const ALL: &str = "all";

/// One environment's report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnvironmentReport<R> {
    pub environment: String,
    #[serde(flatten)]
    pub report: R,
}

/// The reports of several environments and of all of them together.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FleetReport<R> {
    pub environments: Vec<EnvironmentReport<R>>,
    /// All environments together: their counts summed per bucket.
    pub all: R,
}

/// The environment column every fleet table starts with.
const ENVIRONMENT: Column = Column::text("environment", "environment");

/// Columns of several tables, in order of first appearance.
fn union_columns(tables: &[&Table]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for t in tables {
        for c in &t.columns {
            if !columns.contains(c) {
                columns.push(*c);
            }
        }
    }
    columns
}

/// A row of `table` laid out on `columns`, with the environment first.
fn row_on(environment: &str, table: &Table, row: &[Cell], columns: &[Column]) -> Vec<Cell> {
    let mut cells = vec![Cell::Text(environment.to_string())];
    for column in columns {
        let cell = table
            .columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| row.get(i).cloned())
            .unwrap_or(Cell::Empty);
        cells.push(cell);
    }
    cells
}

/// The tables of every (environment, tables) merged by title: rows of each environment with
/// its total as a row, then the fleet's rows, and the fleet's total as the total.
fn merge(per_env: &[(String, Vec<Table>)], all: &[Table]) -> Vec<Table> {
    let mut titles: Vec<String> = Vec::new();
    for t in per_env.iter().flat_map(|(_, t)| t).chain(all) {
        if !titles.contains(&t.title) {
            titles.push(t.title.clone());
        }
    }
    titles
        .into_iter()
        .map(|title| {
            let of_title = |tables: &'_ [Table]| tables.iter().find(|t| t.title == title).cloned();
            let env_tables: Vec<(String, Table)> = per_env
                .iter()
                .filter_map(|(name, tables)| of_title(tables).map(|t| (name.clone(), t)))
                .collect();
            let all_table = of_title(all);
            let refs: Vec<&Table> = env_tables
                .iter()
                .map(|(_, t)| t)
                .chain(all_table.as_ref())
                .collect();
            let columns = union_columns(&refs);
            let mut rows = Vec::new();
            for (name, table) in &env_tables {
                for row in table.rows.iter().chain(table.total.as_ref()) {
                    rows.push(row_on(name, table, row, &columns));
                }
            }
            let mut total = None;
            if let Some(table) = &all_table {
                for row in &table.rows {
                    rows.push(row_on(ALL, table, row, &columns));
                }
                total = table
                    .total
                    .as_ref()
                    .map(|row| row_on(ALL, table, row, &columns));
            }
            Table {
                title,
                columns: std::iter::once(ENVIRONMENT).chain(columns).collect(),
                rows,
                total,
            }
        })
        .collect()
}

impl<R: Report> Report for FleetReport<R> {
    fn tables(&self) -> Vec<Table> {
        let per_env: Vec<(String, Vec<Table>)> = self
            .environments
            .iter()
            .map(|e| (e.environment.clone(), e.report.tables()))
            .collect();
        merge(&per_env, &self.all.tables())
    }

    /// Each environment's rows, then the fleet's, as rows alike: CSV holds no totals.
    fn csv_table(&self) -> Table {
        let without_total = |mut table: Table| {
            table.total = None;
            table
        };
        let per_env: Vec<(String, Vec<Table>)> = self
            .environments
            .iter()
            .map(|e| {
                (
                    e.environment.clone(),
                    vec![without_total(e.report.csv_table())],
                )
            })
            .collect();
        merge(&per_env, &[without_total(self.all.csv_table())])
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = Vec::new();
        for note in self
            .environments
            .iter()
            .flat_map(|e| e.report.notes())
            .chain(self.all.notes())
        {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<Table>);

    impl Serialize for Fake {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(self.0.len() as u64)
        }
    }

    impl Report for Fake {
        fn tables(&self) -> Vec<Table> {
            self.0.clone()
        }
    }

    fn table(extra: bool, n: u64) -> Table {
        let mut columns = vec![
            Column::text("week", "week"),
            Column::figure("consumed", "consumed"),
        ];
        let mut row = vec![Cell::Text("2023-W15".into()), Cell::Count(n)];
        if extra {
            columns.push(Column::figure("integration", "integration"));
            row.push(Cell::Count(n + 1));
        }
        Table {
            title: "t".into(),
            columns,
            rows: vec![row],
            total: Some(vec![Cell::Text("total".into()), Cell::Count(n)]),
        }
    }

    #[test]
    fn rows_per_environment_and_the_fleet() {
        let fleet = FleetReport {
            environments: vec![
                EnvironmentReport {
                    environment: "prod".into(),
                    report: Fake(vec![table(true, 10)]),
                },
                EnvironmentReport {
                    environment: "test".into(),
                    report: Fake(vec![table(false, 5)]),
                },
            ],
            all: Fake(vec![table(false, 15)]),
        };
        let tables = fleet.tables();
        assert_eq!(tables.len(), 1);
        let t = &tables[0];
        let names: Vec<&str> = t.columns.iter().map(|c| c.heading).collect();
        assert_eq!(names, ["environment", "week", "consumed", "integration"]);
        // prod row, prod total, test row, test total, all row; all total as the total.
        assert_eq!(t.rows.len(), 5);
        assert_eq!(t.rows[2][0], Cell::Text("test".into()));
        assert_eq!(t.rows[2][3], Cell::Empty);
        assert_eq!(t.rows[4][2], Cell::Count(15));
        assert_eq!(t.total.as_ref().unwrap()[0], Cell::Text("all".into()));
        // CSV: each environment's rows and the fleet's, no totals.
        let csv = fleet.csv_table();
        assert_eq!(csv.rows.len(), 3);
        assert_eq!(csv.rows[2][0], Cell::Text("all".into()));
        assert!(csv.total.is_none());
    }
}
