//! The one shape every `gossip sim` experiment reports in: `{"experiment", "seed",
//! "runs", "params", "results"}`, printed as JSON (full precision), a table (rounded for
//! reading) or CSV (one header line and one row; or, for a report that lists items such
//! as chaos violations, one row per item).

use gossip_core::Config;
use serde_json::{Map, Value, json};

use crate::cli::Format;

/// The outcome of one experiment, ready to print.
#[derive(Debug)]
pub struct Report {
    pub experiment: &'static str,
    pub seed: u64,
    pub runs: u64,
    pub params: Map<String, Value>,
    pub results: Map<String, Value>,
    /// Items the report lists (chaos violations, replayed events); CSV prints them
    /// one per row.
    pub items: Option<Items>,
}

/// A list of like items in a report: JSON has them under `name` in `results`.
#[derive(Debug)]
pub struct Items {
    pub name: &'static str,
    /// The fields every item has, in order: CSV's columns.
    pub columns: &'static [&'static str],
    pub rows: Vec<Map<String, Value>>,
}

impl Report {
    /// An empty report of `experiment`.
    pub fn new(experiment: &'static str, seed: u64, runs: u64) -> Report {
        Report {
            experiment,
            seed,
            runs,
            params: Map::new(),
            results: Map::new(),
            items: None,
        }
    }

    /// Adds a parameter.
    pub fn param(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a result. A float that is not finite (a mean of no runs) becomes `null`.
    pub fn result(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.results.insert(name.to_owned(), value.into());
        self
    }

    /// The report as text in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => self.to_json().to_string(),
            Format::Table => self.table(),
            Format::Csv => self.csv(),
        }
    }

    fn to_json(&self) -> Value {
        let mut results = self.results.clone();
        if let Some(items) = &self.items {
            let rows = items.rows.iter().cloned().map(Value::Object).collect();
            results.insert(items.name.to_owned(), Value::Array(rows));
        }
        json!({
            "experiment": self.experiment,
            "seed": self.seed,
            "runs": self.runs,
            "params": self.params,
            "results": results,
        })
    }

    fn heading(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("experiment".to_owned(), self.experiment.to_owned()),
            ("seed".into(), self.seed.to_string()),
            ("runs".into(), self.runs.to_string()),
        ];
        flatten("", &self.params, &mut rows, plain);
        rows
    }

    /// The heading without the configuration's every field (JSON and CSV list them).
    fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = self
            .heading()
            .into_iter()
            .filter(|(name, _)| !name.starts_with("config."))
            .collect();
        if self.params.contains_key("config") {
            rows.push(("config".into(), "every field: --format json or csv".into()));
        }
        rows.push((String::new(), String::new()));
        flatten("", &self.results, &mut rows, rounded);
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut lines: Vec<String> = rows
            .iter()
            .map(|(k, v)| {
                if k.is_empty() {
                    String::new()
                } else {
                    format!("{k:width$}  {v}")
                }
            })
            .collect();
        if let Some(items) = &self.items {
            lines.push(String::new());
            lines.push(format!("{}: {}", items.name, items.rows.len()));
            for item in &items.rows {
                let fields: Vec<String> = item
                    .iter()
                    .map(|(k, v)| format!("{k}={}", rounded(v)))
                    .collect();
                lines.push(format!("  {}", fields.join("  ")));
            }
        }
        lines.join("\n")
    }

    fn csv(&self) -> String {
        let (header, rows): (Vec<String>, Vec<Vec<String>>) = match &self.items {
            Some(items) => {
                let columns: Vec<String> = items.columns.iter().map(|c| c.to_string()).collect();
                let rows = items
                    .rows
                    .iter()
                    .map(|item| {
                        columns
                            .iter()
                            .map(|c| item.get(c).map(plain).unwrap_or_default())
                            .collect()
                    })
                    .collect();
                (columns, rows)
            }
            None => {
                let mut columns = self.heading();
                flatten("", &self.results, &mut columns, plain);
                let (header, row) = columns.into_iter().unzip();
                (header, vec![row])
            }
        };
        let mut lines = vec![csv_line(&header)];
        lines.extend(rows.iter().map(|row| csv_line(row)));
        lines.join("\n")
    }
}

/// The configuration as JSON, through its serde form (durations as text).
pub fn config_json(config: &Config) -> Value {
    serde_json::to_value(config).unwrap_or(Value::Null)
}

/// Objects become `parent.child` names, so nested results stay one flat list.
fn flatten(
    prefix: &str,
    object: &Map<String, Value>,
    out: &mut Vec<(String, String)>,
    show: fn(&Value) -> String,
) {
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten(&name, inner, out, show),
            other => out.push((name, show(other))),
        }
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
fn csv_line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| {
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A value exactly as JSON has it, strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// For reading: floats to four significant digits.
fn rounded(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map_or_else(|| plain(value), significant),
        other => plain(other),
    }
}

fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::new("demo", 7, 3);
        report
            .param("nodes", 10)
            .param("config", json!({"fanout": 3}));
        report.result("rate", 0.000_655_555_5).result("count", 118);
        report
    }

    #[test]
    fn json_keeps_full_precision_and_the_one_shape() {
        let json: Value = serde_json::from_str(&report().render(Format::Json)).unwrap();
        assert_eq!(json["experiment"], "demo");
        assert_eq!(json["seed"], 7);
        assert_eq!(json["runs"], 3);
        assert_eq!(json["params"]["config"]["fanout"], 3);
        assert_eq!(json["results"]["rate"].as_f64(), Some(0.000_655_555_5));
    }

    #[test]
    fn table_rounds_and_csv_is_one_row_or_one_row_per_item() {
        let table = report().render(Format::Table);
        assert!(
            table.contains("rate") && table.contains("6.556e-4"),
            "{table}"
        );
        assert!(!table.contains("config.fanout"), "{table}");
        let csv = report().render(Format::Csv);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert_eq!(
            lines[0],
            "experiment,seed,runs,nodes,config.fanout,rate,count"
        );
        assert_eq!(lines[1], "demo,7,3,10,3,0.0006555555,118");

        let mut listing = report();
        let item = |detail: &str| {
            let mut m = Map::new();
            m.insert("seed".into(), json!(1));
            m.insert("detail".into(), json!(detail));
            m
        };
        listing.items = Some(Items {
            name: "violations",
            columns: &["seed", "detail"],
            rows: vec![item("a, \"b\""), item("c")],
        });
        let csv = listing.render(Format::Csv);
        assert_eq!(csv, "seed,detail\n1,\"a, \"\"b\"\"\"\n1,c");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.036_94), "0.03694");
        assert_eq!(significant(3.304_99), "3.305");
        assert_eq!(significant(16.0), "16");
        assert_eq!(significant(1_234_567.0), "1.235e6");
    }
}
