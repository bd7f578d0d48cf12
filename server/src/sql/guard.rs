//! The gate in front of the SQL sandbox: is a text exactly one read query,
//! and if not, why not — in words that name the thing refused.
//!
//! Method: one pass of a lexer that knows DuckDB's lexical forms (`--` and
//! nested `/* */` comments, `'…'` strings with `''`, `E'…'` strings with
//! backslash escapes, `$tag$…$tag$` strings, `"…"` identifiers with `""`)
//! gives words, strings, punctuation and semicolons. Then, in order:
//!
//! 1. one statement: a `;` may only end the text. Any other `;` — between
//!    statements, or inside a string or a comment — is refused, so the
//!    statement DuckDB would parse can never differ from the one checked
//!    here (DuckDB splits statements only at `;`, and the `duckdb` crate's
//!    `prepare` *runs* every statement before the last);
//! 2. balanced parentheses (the query is run wrapped in a subquery, see
//!    [`wrap`]; unbalanced text could step out of it);
//! 3. the first word is one that starts a query (`SELECT`, `WITH`, `VALUES`,
//!    `FROM`, `TABLE`, `PIVOT`, `UNPIVOT`, `DESCRIBE`, `SUMMARIZE`, `(`), and no bare
//!    word anywhere is a statement keyword (`COPY`, `ATTACH`, `INSERT`, …:
//!    `WITH … DELETE` starts like a query);
//! 4. no function that reads files or the environment, or runs SQL from a
//!    string (`read_csv`, `glob`, `getenv`, `query`, …), named bare or quoted;
//!    no `U&` unicode-escaped strings or identifiers.
//!
//! This is for clear messages and a first wall: the authority is DuckDB.
//! [`wrap`] puts the text inside `SELECT * FROM (…)`, where its grammar
//! accepts only a query, and the sandbox runs with external access off and
//! its configuration locked (`super::sandbox`).
//!
//! Complexity: O(n) in the length of the text.

/// Longest text accepted (bytes).
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// A lexical piece of the text.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A word or a quoted identifier (lower-cased), and whether it was quoted.
    Word(String, bool),
    /// A string literal of any form.
    Str,
    Semicolon,
    Open,
    Close,
    /// Any other character outside strings and comments.
    Punct(char),
}

/// Words that begin a read query.
const QUERY_STARTS: &[&str] = &["select", "with", "values", "from", "table", "pivot", "unpivot", "describe", "summarize"];

/// Statement keywords that are never part of a read query, with why they are refused.
const STATEMENTS: &[(&str, &str)] = &[
    ("copy", "COPY writes or reads files"),
    ("attach", "ATTACH opens another database"),
    ("detach", "DETACH changes the attached databases"),
    ("install", "INSTALL downloads an extension"),
    ("load", "LOAD loads an extension"),
    ("set", "SET changes the configuration"),
    ("reset", "RESET changes the configuration"),
    ("pragma", "PRAGMA changes or reads the configuration"),
    ("export", "EXPORT DATABASE writes files"),
    ("import", "IMPORT DATABASE reads files"),
    ("call", "CALL runs a procedure"),
    ("create", "CREATE changes the database"),
    ("insert", "INSERT changes the database"),
    ("update", "UPDATE changes the database"),
    ("delete", "DELETE changes the database"),
    ("drop", "DROP changes the database"),
    ("alter", "ALTER changes the database"),
    ("truncate", "TRUNCATE changes the database"),
    ("merge", "MERGE changes the database"),
    ("upsert", "UPSERT changes the database"),
    ("checkpoint", "CHECKPOINT writes the database"),
    ("vacuum", "VACUUM rewrites the database"),
    ("analyze", "ANALYZE changes statistics"),
    ("begin", "BEGIN opens a transaction"),
    ("commit", "COMMIT ends a transaction"),
    ("rollback", "ROLLBACK ends a transaction"),
    ("abort", "ABORT ends a transaction"),
    ("prepare", "PREPARE stores a statement"),
    ("execute", "EXECUTE runs a stored statement"),
    ("deallocate", "DEALLOCATE drops a stored statement"),
    ("use", "USE changes the default database"),
    ("grant", "GRANT changes permissions"),
    ("revoke", "REVOKE changes permissions"),
    ("explain", "EXPLAIN is not a query here; run the query itself"),
    ("show", "SHOW is not a query here; use GET /api/sql/schema or DESCRIBE"),
];

/// Functions refused by name, with why.
const FUNCTIONS: &[(&str, &str)] = &[
    ("glob", "glob lists files"),
    ("sniff_csv", "sniff_csv reads files"),
    ("getenv", "getenv reads the server's environment"),
    ("current_setting", "current_setting reads the server's configuration"),
    ("duckdb_settings", "duckdb_settings reads the server's configuration"),
    ("duckdb_secrets", "duckdb_secrets reads credentials"),
    ("which_secret", "which_secret reads credentials"),
    ("duckdb_extensions", "duckdb_extensions looks at the extension directory"),
    ("duckdb_temporary_files", "duckdb_temporary_files looks at the server's files"),
    ("query", "query runs SQL from a string"),
    ("query_table", "query_table runs SQL from a string"),
    ("checkpoint", "checkpoint writes the database"),
    ("force_checkpoint", "force_checkpoint writes the database"),
    ("st_read", "st_read reads files"),
];

/// Why a function name is refused (files, environment, dynamic SQL), if it is.
fn refused_function(w: &str) -> Option<String> {
    if let Some((_, why)) = FUNCTIONS.iter().find(|(n, _)| *n == w) {
        return Some(format!("refused: {why}; external access is off"));
    }
    let reads_files = w.starts_with("read_")
        || w.starts_with("parquet_")
        || w.starts_with("pragma_")
        || w.ends_with("_scan")
        || w.ends_with("_attach")
        || w.starts_with("iceberg_")
        || w.starts_with("delta_");
    reads_files.then(|| format!("refused: {w} reads files or other databases; external access is off"))
}

/// Split the text into tokens; an unterminated string or comment, or a `U&` escape, is an error.
fn lex(s: &str) -> Result<Vec<(usize, Tok)>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b if b.is_ascii_whitespace() => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                loop {
                    if i + 1 >= b.len() {
                        return Err("refused: a /* comment is not closed".into());
                    }
                    if b[i] == b'/' && b[i + 1] == b'*' {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b[i + 1] == b'/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' => {
                i = quoted(b, i, b'\'', false).ok_or("refused: a string is not closed")?;
                out.push((start, Tok::Str));
            }
            b'"' => {
                let end = quoted(b, i, b'"', false).ok_or("refused: a quoted identifier is not closed")?;
                let name = s[i + 1..end - 1].replace("\"\"", "\"").to_lowercase();
                out.push((start, Tok::Word(name, true)));
                i = end;
            }
            b'$' if dollar_tag(b, i).is_some() => {
                let tag = dollar_tag(b, i).unwrap_or_default();
                let t = &s[i..i + tag];
                let body = i + tag;
                let close = s[body..].find(t).ok_or("refused: a $$ string is not closed")?;
                i = body + close + tag;
                out.push((start, Tok::Str));
            }
            b';' => {
                out.push((start, Tok::Semicolon));
                i += 1;
            }
            b'(' => {
                out.push((start, Tok::Open));
                i += 1;
            }
            b')' => {
                out.push((start, Tok::Close));
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'$' || b[j] >= 0x80) {
                    j += 1;
                }
                let w = s[i..j].to_lowercase();
                let next = b.get(j).copied();
                if w == "u" && next == Some(b'&') && matches!(b.get(j + 1), Some(b'\'' | b'"')) {
                    return Err("refused: U& unicode escapes are not accepted; write the characters themselves".into());
                }
                // E'…' (backslash escapes), X'…', B'…', N'…': a prefixed string
                if next == Some(b'\'') && matches!(w.as_str(), "e" | "x" | "b" | "n") {
                    i = quoted(b, j, b'\'', w == "e").ok_or("refused: a string is not closed")?;
                    out.push((start, Tok::Str));
                } else {
                    out.push((start, Tok::Word(w, false)));
                    i = j;
                }
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or(' ');
                out.push((start, Tok::Punct(ch)));
                i += ch.len_utf8();
            }
        }
    }
    Ok(out)
}

/// End (one past the closing quote) of a quoted run starting at `i`, where a doubled quote is
/// one quote and, with `backslash`, `\` escapes the next byte.
fn quoted(b: &[u8], i: usize, q: u8, backslash: bool) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// Length of a `$tag$` opener at `i` (`$$` or `$name$`), if there is one.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        if j == i + 1 && b[j].is_ascii_digit() {
            return None; // $1: a parameter
        }
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1 - i)
}

/// Check `sql` and return the one query to run (without a trailing `;`), or the reason it is refused.
pub fn check(sql: &str) -> Result<String, String> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(format!("refused: the query is {} bytes; at most {MAX_SQL_BYTES}", sql.len()));
    }
    if sql.contains('\0') {
        return Err("refused: a NUL character in the query".into());
    }
    let toks = lex(sql)?;
    // 1. one statement; a final `;` (comments may follow it) is dropped
    let semis: Vec<usize> = toks.iter().filter(|(_, t)| *t == Tok::Semicolon).map(|(p, _)| *p).collect();
    let mut body = sql;
    let mut toks = toks;
    if let Some((p, Tok::Semicolon)) = toks.last().cloned() {
        body = &sql[..p];
        toks.pop();
    }
    let statements = toks.split(|(_, t)| *t == Tok::Semicolon).filter(|part| !part.is_empty()).count();
    if statements > 1 {
        return Err(format!("refused: {statements} statements; send one"));
    }
    if statements == 0 {
        return Err("refused: no statement; send one read query (SELECT/WITH/VALUES…)".into());
    }
    if semis.len() > 1 {
        return Err("refused: an empty statement between two ';'; send one statement".into());
    }
    if body.contains(';') {
        return Err("refused: ';' inside a string or comment is not accepted (it could start a second statement); use chr(59)".into());
    }
    // 2. balanced parentheses
    let mut depth = 0i64;
    for (_, t) in &toks {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return Err("refused: a ')' without its '('".into());
        }
    }
    if depth != 0 {
        return Err(format!("refused: {depth} '(' not closed"));
    }
    // 3. a query, and no statement keyword anywhere
    let statement = |w: &str| STATEMENTS.iter().find(|(k, _)| *k == w).map(|(_, why)| *why);
    match &toks[0].1 {
        Tok::Open => {}
        Tok::Word(w, false) if QUERY_STARTS.contains(&w.as_str()) => {}
        Tok::Word(w, false) if statement(w).is_some() => {
            return Err(format!("refused: {} — only one read query (SELECT/WITH/VALUES…) is allowed", statement(w).unwrap_or_default()));
        }
        t => {
            let what = match t {
                Tok::Word(w, _) => w.to_uppercase(),
                Tok::Str => "a string".into(),
                Tok::Punct(c) => c.to_string(),
                _ => "something else".into(),
            };
            return Err(format!("refused: the statement starts with {what}; only one read query (SELECT/WITH/VALUES…) is allowed"));
        }
    }
    for (k, (_, t)) in toks.iter().enumerate() {
        let Tok::Word(w, quoted) = t else { continue };
        if !quoted && let Some(why) = statement(w) {
            return Err(format!("refused: {why} — only one read query is allowed (quote it, \"{w}\", if it is a column name)"));
        }
        // 4. functions: named and called
        if matches!(toks.get(k + 1), Some((_, Tok::Open)))
            && let Some(why) = refused_function(w)
        {
            return Err(why);
        }
    }
    Ok(body.trim_end().to_owned())
}

/// The checked query inside a subquery, so DuckDB's grammar accepts only a query, with the
/// row limit (one row more, to tell a cut answer). New lines keep a trailing `--` comment inside.
pub fn wrap(query: &str, limit: usize) -> String {
    format!("SELECT * FROM (\n{query}\n) AS wangge_query LIMIT {}", limit.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        match check(sql) {
            Ok(q) => panic!("{sql:?} was accepted as {q:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn queries_pass_and_a_final_semicolon_is_dropped() {
        for q in [
            "SELECT 1",
            "select * from buildings;",
            "  WITH a AS (SELECT 1 AS x) SELECT x FROM a ; -- done",
            "FROM units SELECT id",
            "VALUES (1), (2)",
            "(SELECT 1) UNION ALL (SELECT 2)",
            "SELECT 'it''s', E'a\\'b', $$x$$, \"Name\" FROM t /* note */",
            "SELECT $1",
            "SELECT count(*) FILTER (WHERE status = 'closed') FROM incidents",
            "SELECT * FROM buildings WHERE id NOT IN (SELECT 'x') -- a comment with 'quote",
        ] {
            let got = check(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert!(!got.ends_with(';'), "{got}");
        }
    }

    #[test]
    fn refusals_name_the_thing() {
        let cases = [
            ("COPY units TO '/tmp/x.csv'", "COPY"),
            ("copy units to 'x'", "COPY"),
            ("ATTACH 'x.db'", "ATTACH"),
            ("SET threads = 1", "SET changes the configuration"),
            ("SELECT 1; SELECT 2", "2 statements"),
            ("SELECT 1; DROP TABLE units;", "2 statements"),
            ("SELECT ';'", "';' inside"),
            ("SELECT 1 -- ;\n", "';' inside"),
            ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
            ("SELECT * FROM \"READ_CSV\"('/etc/passwd')", "read_csv"),
            ("SELECT * FROM main.read_parquet('x')", "read_parquet"),
            ("SELECT getenv('HOME')", "getenv"),
            ("SELECT * FROM query('SELECT 1')", "runs SQL from a string"),
            ("WITH a AS (SELECT 1) DELETE FROM units", "DELETE"),
            ("SELECT U&'\\0061'", "U&"),
            ("SELECT 1) x, (SELECT 2", "')' without"),
            ("SELECT (1", "not closed"),
            ("/* only a comment */", "no statement"),
            ("SELECT '", "not closed"),
            ("SELECT 1 /* open", "not closed"),
            ("'x.csv'", "starts with a string"),
        ];
        for (sql, want) in cases {
            let e = refused(sql);
            assert!(e.starts_with("refused: ") && e.contains(want), "{sql:?}: {e:?} lacks {want:?}");
        }
    }

    #[test]
    fn the_wrap_keeps_a_trailing_comment_inside() {
        let w = wrap("SELECT 1 -- x", 10);
        assert!(w.ends_with("\n) AS wangge_query LIMIT 11"), "{w}");
    }
}
