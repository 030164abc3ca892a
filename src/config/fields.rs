//! Field validation for every TOML input (configs, hardware profiles, the digital-energy
//! table): one error type that names the file, the line and the dotted field, and the range
//! checks all three share.
//!
//! An error reads `file:line: section.key: why`; the line is the one that sets the field (or
//! the `[section]` header for a whole section, or where the TOML parser stopped), and is left
//! out when the field is not in the text (a missing key, a `--set` override).

/// A TOML field that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{file}{}: {}{why}",
    line.map(|l| format!(":{l}")).unwrap_or_default(),
    if field.is_empty() { String::new() } else { format!("{field}: ") }
)]
pub struct FieldError {
    /// The file (or the name of embedded text).
    pub file: String,
    /// 1-based line that sets the field, if it is in the text.
    pub line: Option<usize>,
    /// Dotted path of the field (`node.capacitance_f`) or a `[section]`; empty for a syntax
    /// error that concerns no field (the line then says where).
    pub field: String,
    /// What is wrong.
    pub why: String,
}

/// Checks of the fields of one TOML text, producing [`FieldError`]s located in it.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> Fields<'a> {
    /// Checks of `text`, which errors call `file`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Fields { file, text }
    }

    /// An error about `field`, located at the line that sets it.
    pub fn err(&self, field: &str, why: impl Into<String>) -> FieldError {
        FieldError {
            file: self.file.to_string(),
            line: line_of(self.text, field),
            field: field.to_string(),
            why: why.into(),
        }
    }

    /// `x` if it is positive and finite.
    pub fn positive(&self, field: &str, x: f64) -> Result<f64, FieldError> {
        if x.is_nan() || x <= 0.0 {
            Err(self.err(field, format!("must be positive, got {x}")))
        } else if !x.is_finite() {
            Err(self.err(field, format!("must be finite, got {x}")))
        } else {
            Ok(x)
        }
    }

    /// `x` if it is positive (`inf` allowed: an ideal element).
    pub fn positive_or_inf(&self, field: &str, x: f64) -> Result<f64, FieldError> {
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.err(field, format!("must be positive (or inf), got {x}")))
        }
    }

    /// `x` if it is finite and ≥ 0.
    pub fn non_negative(&self, field: &str, x: f64) -> Result<f64, FieldError> {
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(self.err(field, format!("must be non-negative and finite, got {x}")))
        }
    }

    /// `x` if it lies in [0, 1) (a relative tolerance: 0.01 = 1 %).
    pub fn fraction(&self, field: &str, x: f64) -> Result<f64, FieldError> {
        if (0.0..1.0).contains(&x) {
            Ok(x)
        } else {
            Err(self.err(
                field,
                format!("must be a fraction in [0, 1) (0.01 = 1 %), got {x}"),
            ))
        }
    }

    /// The value named `v` among `options`.
    pub fn choice<T: Copy>(
        &self,
        field: &str,
        v: &str,
        options: &[(&str, T)],
    ) -> Result<T, FieldError> {
        options
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                self.err(
                    field,
                    format!(
                        "unknown value \"{v}\", expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }

    /// A TOML syntax or serde error (unknown, missing or mistyped field) as a
    /// [`FieldError`] naming the field the parser points at and its line.
    pub fn syntax(&self, e: &toml::de::Error) -> FieldError {
        let why = e.message().trim().to_string();
        let located = e.span().map(|span| locate(self.text, span.start));
        let field = match backticked(&why, "missing field `") {
            // A missing field is reported at its table: append the missing key to the table.
            Some(missing) => match located.as_ref().map(|l| l.table.as_str()) {
                Some(table) if !table.is_empty() => format!("{table}.{missing}"),
                _ => missing.to_string(),
            },
            None => located
                .as_ref()
                .map(|l| match (&l.key, l.table.is_empty()) {
                    (Some(key), true) => key.clone(),
                    (Some(key), false) => format!("{}.{key}", l.table),
                    (None, _) => l.table.clone(),
                })
                .unwrap_or_default(),
        };
        let line = located.as_ref().map(|l| l.line);
        FieldError {
            file: self.file.to_string(),
            line,
            field,
            why,
        }
    }
}

/// The 1-based line of `text` that sets `field`: the `key = …` line of a dotted
/// `section.key` (`section` may itself be dotted), or the `[section]` header of a bare or
/// bracketed section name. None if the text does not set it.
pub fn line_of(text: &str, field: &str) -> Option<usize> {
    let field = field.trim_start_matches('[').trim_end_matches(']');
    let (table, key) = match field.rsplit_once('.') {
        Some((t, k)) => (t, Some(k)),
        None => ("", None),
    };
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[') {
            let name = name.trim_start_matches('[');
            current = clean_key(&name[..name.find(']').unwrap_or(name.len())]);
            if current == field {
                return Some(i + 1);
            }
        } else if let (Some(key), true) = (key, current == table) {
            if t.split_once('=').is_some_and(|(k, _)| clean_key(k) == key) {
                return Some(i + 1);
            }
        }
    }
    None
}

/// The text between `prefix` and the next backtick in `message`.
fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(&rest[..rest.find('`')?])
}

/// Where a byte offset lies in a TOML text.
struct Location {
    /// 1-based line number.
    line: usize,
    /// Dotted name of the last `[table]` header at or before the line ("" at top level).
    table: String,
    /// The key before `=` on the line (None on a header or blank line).
    key: Option<String>,
}

fn locate(text: &str, pos: usize) -> Location {
    let pos = pos.min(text.len());
    let mut table = String::new();
    let mut line_start = 0;
    let mut line_no = 0;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let trimmed = line.trim();
        let is_header = trimmed.starts_with('[');
        if is_header {
            let inner = trimmed.trim_start_matches('[');
            table = match inner.find(']') {
                Some(end) => clean_key(&inner[..end]),
                None => String::new(),
            };
        }
        let line_end = line_start + line.len();
        if pos < line_end || line_end == text.len() {
            let key = match line.split_once('=') {
                Some((key, _)) if !is_header && !trimmed.starts_with('#') => Some(clean_key(key)),
                _ => None,
            };
            return Location {
                line: line_no,
                table,
                key,
            };
        }
        line_start = line_end;
    }
    Location {
        line: line_no.max(1),
        table,
        key: None,
    }
}

/// A dotted key without spaces and quotes: `"a" . b` → `a.b`.
fn clean_key(key: &str) -> String {
    key.split('.')
        .map(|part| part.trim().trim_matches(|c| c == '"' || c == '\''))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "top = 1\n[model]\nj4 = 2\n\n[precision.fp32]\n\"mult_pj\" = 3\n";

    #[test]
    fn lines_of_keys_and_sections() {
        assert_eq!(line_of(TEXT, "model.j4"), Some(3));
        assert_eq!(line_of(TEXT, "model"), Some(2));
        assert_eq!(line_of(TEXT, "[model]"), Some(2));
        assert_eq!(line_of(TEXT, "precision.fp32.mult_pj"), Some(6));
        assert_eq!(line_of(TEXT, "precision.fp32"), Some(5));
        assert_eq!(line_of(TEXT, "model.j2"), None);
        assert_eq!(line_of(TEXT, "noising"), None);
    }

    #[test]
    fn errors_read_file_line_field() {
        let f = Fields::new("c.toml", TEXT);
        assert_eq!(
            f.positive("model.j4", -1.0).unwrap_err().to_string(),
            "c.toml:3: model.j4: must be positive, got -1"
        );
        assert_eq!(
            f.non_negative("model.j2", f64::NAN)
                .unwrap_err()
                .to_string(),
            "c.toml: model.j2: must be non-negative and finite, got NaN"
        );
        assert_eq!(f.fraction("model.j4", 0.5), Ok(0.5));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = toml::from_str::<toml::Table>("[model]\nj4 = = 2\n").unwrap_err();
        let err = Fields::new("c.toml", "[model]\nj4 = = 2\n").syntax(&e);
        assert_eq!(err.line, Some(2), "{err}");
        assert_eq!(err.field, "model.j4", "{err}");
        assert!(err.to_string().starts_with("c.toml:2: model.j4: "), "{err}");
    }
}
