//! Database URLs: only `sqlite://PATH` and `postgres://…` are accepted, so a
//! typo can never quietly create a new, empty database somewhere else.

use crate::StoreError;

/// The database engines Allot runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A checked database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    engine: Engine,
    url: String,
}

impl std::fmt::Debug for DatabaseUrl {
    /// Shows the URL without any password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// The default: a file next to where Allot runs.
    pub const DEFAULT: &'static str = "sqlite://./allot.db";

    /// Parses a URL, refusing any scheme but `sqlite` and `postgres`.
    pub fn parse(input: &str) -> Result<DatabaseUrl, StoreError> {
        let url = input.trim();
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            StoreError::BadUrl(format!(
                "'{}' is not a database URL: use sqlite://PATH or postgres://USER@HOST/DATABASE",
                redact(url)
            ))
        })?;
        let engine = match scheme {
            "sqlite" => Engine::Sqlite,
            "postgres" | "postgresql" => Engine::Postgres,
            other => {
                return Err(StoreError::BadUrl(format!(
                    "unrecognised database URL scheme '{other}': use sqlite://PATH or postgres://USER@HOST/DATABASE"
                )));
            }
        };
        if rest.is_empty() || (engine == Engine::Sqlite && rest.starts_with(':')) {
            return Err(StoreError::BadUrl("the database URL names no database".to_owned()));
        }
        Ok(DatabaseUrl { engine, url: url.to_owned() })
    }

    /// The engine the URL names.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL to hand to the driver. SQLite files are created if missing
    /// (the scheme was checked, so this cannot be a typo's new database).
    pub(crate) fn driver_url(&self) -> String {
        match self.engine {
            Engine::Sqlite if !self.url.contains('?') => format!("{}?mode=rwc", self.url),
            _ => self.url.clone(),
        }
    }

    /// The URL with any password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }

    /// For SQLite, the path of the database file.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.engine {
            Engine::Sqlite => Some(self.url["sqlite://".len()..].split('?').next().unwrap_or_default()),
            Engine::Postgres => None,
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_and_postgres_are_accepted() {
        assert_eq!(DatabaseUrl::parse("sqlite://./allot.db").unwrap().engine(), Engine::Sqlite);
        assert_eq!(DatabaseUrl::parse("postgres://a@b/c").unwrap().engine(), Engine::Postgres);
        assert_eq!(DatabaseUrl::parse("postgresql://a@b/c").unwrap().engine(), Engine::Postgres);
        let err = DatabaseUrl::parse("sqllite://./allot.db").unwrap_err().to_string();
        assert!(err.contains("unrecognised database URL scheme 'sqllite'"), "{err}");
        assert!(DatabaseUrl::parse("./allot.db").is_err());
        assert!(DatabaseUrl::parse("mysql://x/y").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://allot:s3cret@db/allot").unwrap();
        assert_eq!(url.redacted(), "postgres://allot:***@db/allot");
        assert!(!format!("{url:?}").contains("s3cret"));
        let err = DatabaseUrl::parse("postgre://allot:s3cret@db/allot").unwrap_err().to_string();
        assert!(!err.contains("s3cret"));
    }

    #[test]
    fn sqlite_files_are_created_when_missing() {
        let url = DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!(url.driver_url(), "sqlite:///tmp/x.db?mode=rwc");
        assert_eq!(url.sqlite_path(), Some("/tmp/x.db"));
    }
}
