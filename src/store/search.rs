//! Full-text search of the stored history: SQLite's FTS5 index `messages_fts` and PostgreSQL's
//! `body_tsv` column (both kept by the database as rows are written), ranked and highlighted.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};

use super::{DbConnection, StoreError};

/// The most hits counted for `total`: past it a count would cost as much as the search.
pub const COUNT_CAP: i64 = 1000;

/// Highlight markers the database puts around each match; [`highlight`] turns them into
/// `<mark>` once the text around them is escaped.
const OPEN: &str = "\u{1}";
const CLOSE: &str = "\u{2}";

/// What to look for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub q: String,
    /// `None`: every session (an unscoped key); otherwise only these.
    pub sessions: Option<Vec<String>>,
    pub chat_id: Option<String>,
    pub direction: Option<String>,
    pub msg_type: Option<String>,
    pub from: Option<String>,
    /// Epoch seconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// One message found.
#[derive(Debug, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub wa_message_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Text)]
    pub chat_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub body: Option<String>,
    #[diesel(sql_type = Text)]
    pub msg_type: String,
    #[diesel(sql_type = Text)]
    pub direction: String,
    #[diesel(sql_type = Text)]
    pub from_jid: String,
    #[diesel(sql_type = BigInt)]
    pub timestamp: i64,
    /// The matching passage, matches between `<mark>` and `</mark>`, the rest HTML-escaped.
    #[diesel(sql_type = Text)]
    pub snippet: String,
    /// Higher is better.
    #[diesel(sql_type = Double)]
    pub score: f64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A value bound to the query.
enum Param {
    Text(String),
    Int(i64),
}

/// Builds one statement for either backend: `?` placeholders on SQLite, `$n` on PostgreSQL.
struct Sql {
    text: String,
    params: Vec<Param>,
    numbered: bool,
}

impl Sql {
    fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }
    fn bind(&mut self, p: Param) -> &mut Self {
        self.params.push(p);
        if self.numbered {
            self.text.push_str(&format!("${}", self.params.len()));
        } else {
            self.text.push('?');
        }
        self
    }
}

/// The user's words as an FTS5 query that matches them literally: each token quoted (quotes
/// doubled), so FTS5's own grammar (`OR`, `NEAR`, `*`, parentheses) is plain text; tokens are ANDed.
pub fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes the text for HTML and turns the database's markers into `<mark>`.
pub fn highlight(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{1}' => out.push_str("<mark>"),
            '\u{2}' => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}

/// The filters after the text match, shared by the page and the count.
fn filters(sql: &mut Sql, q: &SearchQuery) {
    if let Some(sessions) = &q.sessions {
        sql.push(" AND m.session_id IN (");
        if sessions.is_empty() {
            sql.push("NULL");
        }
        for (i, s) in sessions.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Text(s.clone()));
        }
        sql.push(")");
    }
    for (column, value) in [
        ("m.chat_id", &q.chat_id),
        ("m.direction", &q.direction),
        ("m.msg_type", &q.msg_type),
        ("m.from_jid", &q.from),
    ] {
        if let Some(v) = value {
            sql.push(&format!(" AND {column} = "))
                .bind(Param::Text(v.clone()));
        }
    }
    if let Some(since) = q.since {
        sql.push(" AND m.timestamp >= ").bind(Param::Int(since));
    }
    if let Some(until) = q.until {
        sql.push(" AND m.timestamp <= ").bind(Param::Int(until));
    }
}

/// The `FROM … WHERE` of a search on this backend.
fn matching(sql: &mut Sql, q: &SearchQuery, postgres: bool) {
    if postgres {
        sql.push(" FROM messages m WHERE m.body_tsv @@ plainto_tsquery('simple', ")
            .bind(Param::Text(q.q.clone()))
            .push(")");
    } else {
        sql.push(" FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid WHERE messages_fts MATCH ")
            .bind(Param::Text(fts5_query(&q.q)));
    }
    filters(sql, q);
}

fn load<T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static>(
    conn: &mut DbConnection,
    sql: Sql,
) -> Result<Vec<T>, StoreError> {
    macro_rules! run {
        ($c:expr, $backend:ty) => {{
            let mut query = diesel::sql_query(sql.text).into_boxed::<$backend>();
            for p in sql.params {
                query = match p {
                    Param::Text(s) => query.bind::<Text, _>(s),
                    Param::Int(n) => query.bind::<BigInt, _>(n),
                };
            }
            query.load::<T>($c)?
        }};
    }
    Ok(match conn {
        DbConnection::Sqlite(c) => run!(c, diesel::sqlite::Sqlite),
        DbConnection::Postgres(c) => run!(c, diesel::pg::Pg),
    })
}

/// A page of hits, best first (newest first among equals), and how many there are (at most
/// [`COUNT_CAP`]; counted only when the page is full, else it follows from the page).
pub fn search(conn: &mut DbConnection, q: &SearchQuery) -> Result<(Vec<Hit>, i64), StoreError> {
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let new = || Sql {
        text: String::new(),
        params: Vec::new(),
        numbered: postgres,
    };
    let mut page = new();
    page.push("SELECT m.id, m.wa_message_id, m.session_id, m.chat_id, m.body, m.msg_type, m.direction, m.from_jid, m.timestamp, ");
    if postgres {
        page.push("ts_headline('simple', coalesce(m.body, ''), plainto_tsquery('simple', ")
            .bind(Param::Text(q.q.clone()))
            .push(&format!(
                "), 'StartSel={OPEN}, StopSel={CLOSE}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet, "
            ))
            .push("CAST(ts_rank(m.body_tsv, plainto_tsquery('simple', ")
            .bind(Param::Text(q.q.clone()))
            .push(")) AS DOUBLE PRECISION) AS score");
    } else {
        page.push(&format!(
            "snippet(messages_fts, 0, '{OPEN}', '{CLOSE}', ' … ', 16) AS snippet, CAST(-bm25(messages_fts) AS REAL) AS score"
        ));
    }
    matching(&mut page, q, postgres);
    page.push(" ORDER BY score DESC, m.seq DESC LIMIT ")
        .bind(Param::Int(q.limit))
        .push(" OFFSET ")
        .bind(Param::Int(q.offset));
    let mut hits: Vec<Hit> = load(conn, page)?;
    for h in &mut hits {
        h.snippet = highlight(&h.snippet);
    }
    let full = hits.len() as i64 == q.limit;
    let total = if !full && (!hits.is_empty() || q.offset == 0) {
        q.offset + hits.len() as i64
    } else {
        let mut count = new();
        count.push("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT 1");
        matching(&mut count, q, postgres);
        count
            .push(" LIMIT ")
            .bind(Param::Int(COUNT_CAP))
            .push(") AS found");
        load::<Count>(conn, count)?.first().map_or(0, |c| c.n)
    };
    Ok((hits, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_grammar_in_the_words_is_plain_text() {
        assert_eq!(fts5_query("order OR 42*"), "\"order\" \"OR\" \"42*\"");
        assert_eq!(fts5_query(" say \"hi\" "), "\"say\" \"\"\"hi\"\"\"");
        assert_eq!(fts5_query("   "), "");
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        assert_eq!(
            highlight("<b>\u{1}invoice\u{2}</b> & co"),
            "&lt;b&gt;<mark>invoice</mark>&lt;/b&gt; &amp; co"
        );
    }
}
