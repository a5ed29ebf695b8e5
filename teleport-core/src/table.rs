//! A column-aligned text table in the shape `tctl` prints (Teleport's `asciitable`):
//! a line of column names, a line of dashes as long as each name, then the rows; each
//! column is as wide as its widest cell and columns are one space apart; the last column
//! is not padded, so no line ends in spaces.
//!
//! Every `tctl` table is one of these: tokens, nodes, users, roles, CAs.

/// A table being built: headers first, then rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names and no rows.
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty and extra cells are dropped.
    pub fn add_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells
            .into_iter()
            .map(Into::into)
            .take(self.headers.len())
            .collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text, every line ending in `\n`.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(column, header)| {
                self.rows
                    .iter()
                    .map(|row| width(&row[column]))
                    .chain(std::iter::once(width(header)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let dashes: Vec<String> = self
            .headers
            .iter()
            .map(|header| "-".repeat(width(header)))
            .collect();
        let mut out = String::new();
        for line in std::iter::once(&self.headers)
            .chain(std::iter::once(&dashes))
            .chain(self.rows.iter())
        {
            let mut text = String::new();
            for (column, cell) in line.iter().enumerate() {
                if column > 0 {
                    text.push(' ');
                }
                text.push_str(cell);
                let pad = widths[column].saturating_sub(width(cell));
                text.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A cell's width in characters (not bytes, so labels in any script line up).
fn width(cell: &str) -> usize {
    cell.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_one_space_apart() {
        let mut table = Table::new(["Name", "Value"]);
        table.add_row(["a-long-name", "1"]);
        table.add_row(["b", ""]);
        assert_eq!(
            table.render(),
            "Name        Value\n----        -----\na-long-name 1\nb\n"
        );
    }

    #[test]
    fn short_and_long_rows_are_fitted_to_the_headers() {
        let mut table = Table::new(["A", "B"]);
        table.add_row(["x"]);
        table.add_row(["y", "z", "dropped"]);
        assert_eq!(table.render(), "A B\n- -\nx\ny z\n");
    }

    #[test]
    fn an_empty_table_prints_its_headers() {
        assert_eq!(
            Table::new(["Token", "Type"]).render(),
            "Token Type\n----- ----\n"
        );
    }
}
