//! Field-level validation errors, shared by every edge (API, CSV import, CLI).

use std::fmt;

/// One thing wrong with one field of an input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The field's name as the user supplied it (JSON key or CSV column).
    pub field: String,
    /// What is wrong, in plain English.
    pub message: String,
}

/// One thing wrong with one field on one line of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// The file's line number (the header is line 1).
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl LineError {
    pub fn new(line: u64, field: &str, message: impl fmt::Display) -> LineError {
        LineError { line, field: field.to_owned(), message: message.to_string() }
    }

    /// Each of `invalid`'s problems, on `line`.
    pub fn all(line: u64, invalid: Invalid) -> impl Iterator<Item = LineError> {
        invalid.0.into_iter().map(move |e| LineError { line, field: e.field, message: e.message })
    }
}

/// `LINE: field: message`; put the file's name in front.
impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.line, self.field, self.message)
    }
}

/// Everything wrong with an input: parsing collects all the problems, not
/// just the first, so a person can fix them in one go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// Records a problem with `field`.
    pub fn push(&mut self, field: &str, message: impl fmt::Display) {
        self.0.push(FieldError { field: field.to_owned(), message: message.to_string() });
    }

    /// Takes the value out of `result`, recording its error against `field`.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.push(field, e)).ok()
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if self.0.is_empty() { Ok(value()) } else { Err(self) }
    }

    /// The fields with problems, in the order found.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    /// A single-field error.
    pub fn one(field: &str, message: impl fmt::Display) -> Self {
        let mut invalid = Invalid::default();
        invalid.push(field, message);
        invalid
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}
