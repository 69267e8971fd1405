//! A file the browser saves rather than shows: the campaigns' link lists, a page's figures as CSV
//! or XLSX, a table of records streamed a page at a time. Never cached: it holds what the caller
//! was allowed to read when it asked.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `body` as an attachment named `name` (ASCII: the names are kefu's own).
pub fn attachment(body: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// A buffer the CSV writer fills and the streaming task empties after each page.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

type Page = kefu_app::AppResult<(Vec<Vec<kefu_app::export::Cell>>, Option<i64>)>;

/// A record table as a download (`/tickets/download`, `/admin/users/download`,
/// `/admin/audit/download`): `format` is `csv` (default) or `xlsx`; `page(app, key)` gives the rows
/// from a key (0: the start) and the key to continue from. The first page is read before answering,
/// so a refusal is a proper error page; then the download is audited (`<table>.download`, with
/// `query`) and CSV streams a page at a time, while XLSX is one sheet (past Excel's rows it is
/// refused, saying so and offering CSV).
pub async fn records<F, Fut>(
    state: &crate::WebState,
    caller: &crate::auth::Caller,
    format: Option<&str>,
    table: &'static str,
    query: &str,
    columns: &'static [&'static str],
    page: F,
) -> Response
where
    F: Fn(kefu_app::App, i64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Page> + Send,
{
    use kefu_app::figure_table::TableFormat;
    let ident = &caller.identity;
    let format = match TableFormat::parse(format.unwrap_or("csv")) {
        Ok(f) => f,
        Err(e) => return crate::pages::error_page(ident, e.into()),
    };
    let first = match page(state.app.clone(), 0).await {
        Ok(p) => p,
        Err(e) => return crate::pages::error_page(ident, e),
    };
    if let Err(e) = (state.app)
        .audit_download(&caller.actor(), table, query, format.extension())
        .await
    {
        return crate::pages::error_page(ident, e);
    }
    let name = format!("kefu-{table}.{}", format.extension());
    match format {
        TableFormat::Csv => streamed_csv(state.app.clone(), columns, first, page, &name),
        TableFormat::Xlsx => match xlsx_table(state.app.clone(), table, columns, first, page).await {
            Ok(bytes) => attachment(bytes, format.content_type(), &name),
            Err(e) => crate::pages::error_page(ident, e),
        },
    }
}

/// A table as CSV (a byte-order mark, formula cells guarded), streamed from its `first` page on,
/// each page going out as soon as it is read. A failure half-way ends the body early (the client
/// sees a broken download, not a short file that looks whole).
fn streamed_csv<F, Fut>(
    app: kefu_app::App,
    columns: &'static [&'static str],
    first: (Vec<Vec<kefu_app::export::Cell>>, Option<i64>),
    page: F,
    name: &str,
) -> Response
where
    F: Fn(kefu_app::App, i64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Page> + Send,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let buf = Shared::default();
        let mut sink = match kefu_app::export::CsvSink::with_columns(buf.clone(), columns, true) {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let mut current: Page = Ok(first);
        loop {
            let (rows, next) = match current {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let written = rows
                .iter()
                .try_for_each(|r| kefu_app::export::Sink::row(&mut sink, r))
                .and_then(|()| sink.flush());
            if let Err(e) = written {
                let _ = tx.send(Err(e)).await;
                return;
            }
            if tx.send(Ok(buf.take())).await.is_err() {
                return; // the client went away
            }
            match next {
                Some(key) => current = page(app.clone(), key).await,
                None => return,
            }
        }
    });
    let body = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// A table as one XLSX sheet named `sheet`, from its `first` page on, into the workbook's
/// constant-memory sheet. Past Excel's rows it is refused, saying so and offering CSV.
async fn xlsx_table<F, Fut>(
    app: kefu_app::App,
    sheet: &str,
    columns: &[&str],
    first: (Vec<Vec<kefu_app::export::Cell>>, Option<i64>),
    page: F,
) -> kefu_app::AppResult<Vec<u8>>
where
    F: Fn(kefu_app::App, i64) -> Fut,
    Fut: std::future::Future<Output = Page>,
{
    use kefu_app::export::Sink;
    let io = |e: std::io::Error| kefu_app::AppError::Refused(format!("cannot write the workbook: {e}"));
    let mut book = kefu_app::export::XlsxSink::with_columns(sheet, columns).map_err(io)?;
    let max = book.max_rows().unwrap_or(u64::MAX);
    let mut rows = 0u64;
    let (mut page_rows, mut next) = first;
    loop {
        for r in &page_rows {
            if rows >= max {
                return Err(kefu_app::AppError::Refused(format!(
                    "more than {max} rows do not fit in one XLSX sheet: download CSV instead"
                )));
            }
            book.row(r).map_err(io)?;
            rows += 1;
        }
        match next {
            Some(key) => (page_rows, next) = page(app.clone(), key).await?,
            None => break,
        }
    }
    let mut out = Vec::new();
    book.save_to(&mut out).map_err(io)?;
    Ok(out)
}

/// A download's one parameter: `format=csv|xlsx`.
#[derive(serde::Deserialize, Default)]
pub struct FormatQuery {
    pub format: Option<String>,
}
