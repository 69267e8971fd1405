//! A survey campaign's link list as it is handed out for SMS or a messaging tool
//! (docs/surveys.md#campaigns): rows of [`LINK_COLUMNS`], written as CSV with a byte-order mark or
//! as an xlsx workbook, every cell guarded as the exports guard them.

use kefu_store::CampaignLink;

/// The columns of a campaign's link list.
pub const LINK_COLUMNS: [&str; 11] = [
    "run",
    "customer_external_id",
    "customer",
    "contact",
    "phone",
    "email",
    "language",
    "url",
    "expires",
    "answered",
    "opted_out",
];

/// A campaign's links as rows of [`LINK_COLUMNS`]: `url` absolute when a public URL is set;
/// `expires` the local date; `url` empty for a link without its token (kefu keeps only hashes: a run or a re-issue hands tokens out).
pub fn link_rows(links: &[CampaignLink], public_url: Option<&str>, tz: &jiff::tz::TimeZone) -> Vec<Vec<String>> {
    let date = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let yes = |b: bool| if b { "yes" } else { "" }.to_owned();
    links
        .iter()
        .map(|l| {
            vec![
                l.link.run.map(|r| r.to_string()).unwrap_or_default(),
                l.customer_external_id.clone().unwrap_or_default(),
                l.customer_name.clone().unwrap_or_default(),
                l.contact_name.clone().unwrap_or_default(),
                l.phone.clone().unwrap_or_default(),
                l.email.clone().unwrap_or_default(),
                l.link.language.clone(),
                l.token
                    .as_ref()
                    .map(|t| format!("{}{}", public_url.unwrap_or(""), crate::links::survey_answer(t)))
                    .unwrap_or_default(),
                date(l.link.expires_at),
                yes(l.link.answered_at.is_some()),
                yes(l.link.opted_out_at.is_some()),
            ]
        })
        .collect()
}

/// The link list as CSV with a byte-order mark (Excel reads the Chinese names right), cells that
/// Excel could run as formulas guarded as the exports guard them.
pub fn links_csv(rows: &[Vec<String>]) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(LINK_COLUMNS)?;
    for r in rows {
        w.write_record(r.iter().map(|c| crate::export::guard(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The link list as an xlsx workbook of one sheet, every cell text.
pub fn links_xlsx(rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("links")?;
    for (c, h) in LINK_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in r.iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, v)?;
        }
    }
    sheet.set_column_width(7, 60)?;
    book.save_to_buffer()
}
