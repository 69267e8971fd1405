//! A file's text: UTF-8 (with or without a BOM) or else GB18030, as Excel in China saves it,
//! told apart in one pass before a row is read and decoded as it streams by, with Windows line
//! ends read as LF.

use super::RowError;
use std::io::{Read, Seek, SeekFrom};

/// The text of a file: UTF-8 (a BOM is dropped) or else GB18030; anything else is refused.
pub fn decode(bytes: &[u8]) -> Result<String, RowError> {
    let mut text = String::new();
    open_text(std::io::Cursor::new(bytes))
        .and_then(|(mut r, _)| r.read_to_string(&mut text).map_err(|e| not_text(&e.to_string())))?;
    Ok(text)
}

fn not_text(why: &str) -> RowError {
    RowError {
        row: 0,
        column: String::new(),
        message: format!("the file is neither UTF-8 nor GB18030 text{why}"),
    }
}

/// Reads a file once to tell its encoding (UTF-8, with or without a BOM, or else GB18030; anything
/// else is refused before a row is read) and to count its lines, then rewinds it and returns a
/// reader of its text as UTF-8, and the line count (an estimate of the rows, for progress).
pub(super) fn open_text<'a, R: Read + Seek + Send + 'a>(
    mut src: R,
) -> Result<(Box<dyn Read + Send + 'a>, u64), RowError> {
    let io = |e: std::io::Error| not_text(&format!(" (cannot read it: {e})"));
    let mut buf = vec![0u8; 1 << 16];
    let (mut utf8, mut carry, mut lines, mut first) = (true, 0usize, 0u64, true);
    let mut bom = false;
    let mut gb = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut scratch = vec![0u8; 3 << 16];
    let mut gb_ok = true;
    loop {
        let n = src.read(&mut buf[carry..]).map_err(io)?;
        let end = carry + n;
        let last = n == 0;
        let chunk = &buf[..end];
        if first && end >= 3 {
            bom = chunk.starts_with(b"\xEF\xBB\xBF");
            first = false;
        }
        lines += chunk[carry..].iter().filter(|&&b| b == b'\n').count() as u64;
        if gb_ok {
            // GB18030 is checked alongside, for when the file turns out not to be UTF-8.
            let mut at = carry;
            loop {
                let (r, read, _) = gb.decode_to_utf8_without_replacement(&chunk[at..], &mut scratch, last);
                at += read;
                match r {
                    encoding_rs::DecoderResult::InputEmpty => break,
                    encoding_rs::DecoderResult::OutputFull => {}
                    encoding_rs::DecoderResult::Malformed(..) => {
                        gb_ok = false;
                        break;
                    }
                }
            }
        }
        if utf8 {
            match std::str::from_utf8(chunk) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() && !last => {
                    // A character cut at the end of the buffer: keep its bytes for the next read.
                    let keep = end - e.valid_up_to();
                    buf.copy_within(e.valid_up_to()..end, 0);
                    carry = keep;
                }
                Err(_) => {
                    utf8 = false;
                    carry = 0;
                }
            }
        }
        if last {
            break;
        }
        if !utf8 && !gb_ok {
            return Err(not_text(""));
        }
    }
    if !utf8 && !gb_ok {
        return Err(not_text(""));
    }
    src.seek(SeekFrom::Start(if utf8 && bom { 3 } else { 0 })).map_err(io)?;
    let text: Box<dyn Read + Send + 'a> = if utf8 {
        Box::new(LineEnds::new(src))
    } else {
        Box::new(LineEnds::new(Gb18030Reader::new(src)))
    };
    Ok((text, lines))
}

/// Text with each CRLF read as LF. The CSV reader counts lines by LF but takes a record's line
/// before it passes the LF of a CRLF, which put every row of a Windows file one line too early
/// in error messages; inside a quoted cell a CRLF becomes LF, which is what a cell means by it.
struct LineEnds<R> {
    inner: R,
    /// Bytes read and not handed out yet: `buf[at..end]`.
    buf: Vec<u8>,
    at: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> LineEnds<R> {
    fn new(inner: R) -> Self {
        LineEnds {
            inner,
            buf: vec![0; 1 << 16],
            at: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more after what is left (at most a CR waiting for the byte after it).
    fn fill(&mut self) -> std::io::Result<()> {
        let keep = self.end - self.at;
        self.buf.copy_within(self.at..self.end, 0);
        (self.at, self.end) = (0, keep);
        let n = self.inner.read(&mut self.buf[keep..])?;
        self.eof = n == 0;
        self.end += n;
        Ok(())
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let lone_cr = self.end - self.at == 1 && self.buf[self.at] == b'\r';
            if self.at == self.end || (lone_cr && !self.eof) {
                if self.at == self.end && self.eof {
                    return Ok(0);
                }
                self.fill()?;
                continue;
            }
            let mut w = 0;
            while w < out.len() && self.at < self.end {
                let b = self.buf[self.at];
                if b == b'\r' && self.at + 1 < self.end && self.buf[self.at + 1] == b'\n' {
                    self.at += 1;
                    continue;
                }
                if b == b'\r' && self.at + 1 == self.end && !self.eof {
                    break;
                }
                out[w] = b;
                w += 1;
                self.at += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// GB18030 bytes read as UTF-8 text, decoded as they stream by.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    /// Undecoded input is `input[at..end]`.
    at: usize,
    end: usize,
    eof: bool,
    /// Decoded text not handed out yet is `output[out_at..out_end]`.
    output: Vec<u8>,
    out_at: usize,
    out_end: usize,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            at: 0,
            end: 0,
            eof: false,
            output: vec![0; 3 << 16],
            out_at: 0,
            out_end: 0,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.out_at == self.out_end {
            if self.eof && self.at == self.end {
                return Ok(0);
            }
            if self.at == self.end {
                self.end = self.inner.read(&mut self.input)?;
                self.at = 0;
                self.eof = self.end == 0;
            }
            let (r, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.at..self.end],
                &mut self.output,
                self.eof,
            );
            self.at += read;
            (self.out_at, self.out_end) = (0, written);
            if let encoding_rs::DecoderResult::Malformed(..) = r {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the file is not GB18030 text",
                ));
            }
        }
        let n = out.len().min(self.out_end - self.out_at);
        out[..n].copy_from_slice(&self.output[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_reads_as_lf_across_any_chunking() {
        /// Hands out at most `n` bytes a read.
        struct Drip<'a>(&'a [u8], usize);
        impl Read for Drip<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n\r2,3\r\r\n4\r";
        for drip in 1..input.len() + 1 {
            for buf in [1usize, 2, 3, 64] {
                let mut r = LineEnds::new(Drip(input, drip));
                let (mut got, mut chunk) = (Vec::new(), vec![0u8; buf]);
                loop {
                    let n = r.read(&mut chunk).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&chunk[..n]);
                }
                assert_eq!(got, b"a,b\n1,\"x\ny\"\n\r2,3\r\n4\r", "drip {drip}, buffer {buf}");
            }
        }
    }

    #[test]
    fn decodes_utf8_with_bom_and_gb18030() {
        assert_eq!(decode("\u{feff}name\n王芳\n".as_bytes()).unwrap(), "name\n王芳\n");
        let (gb, _, _) = encoding_rs::GB18030.encode("external_id,name\nC1,王芳\n");
        assert_eq!(decode(&gb).unwrap(), "external_id,name\nC1,王芳\n");
        assert!(decode(&[0x81, 0x20, 0xFF, 0xFF]).is_err());
    }

    #[test]
    fn long_files_decode_across_buffer_boundaries() {
        // Multi-byte characters fall on every offset of the 64 KiB read buffers.
        let mut text = String::from("external_id,name\n");
        for i in 0..30_000 {
            text.push_str(&format!("C{i},王芳{}\n", "é".repeat(i % 3)));
        }
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        for bytes in [
            text.as_bytes(),
            &gb[..],
            &[b"\xEF\xBB\xBF", text.as_bytes()].concat()[..],
        ] {
            let (mut r, lines) = open_text(std::io::Cursor::new(bytes)).unwrap();
            let mut out = String::new();
            r.read_to_string(&mut out).unwrap();
            assert_eq!((out == text, lines), (true, 30_001));
        }
        // A byte that is neither UTF-8 nor GB18030 at the very end is still found first.
        let mut bad = gb.into_owned();
        bad.push(0xFF);
        assert!(open_text(std::io::Cursor::new(bad)).is_err());
    }
}
