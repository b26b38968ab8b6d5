//! The hand reader of record lines (`fast.rs`) against serde's, on the lines a journal holds
//! and on every way of damaging them a few bytes at a time: wherever the hand reader reads a
//! line, serde reads the same fields, and it never reads a line serde refuses.

use super::fast;
use super::line::{by_serde, Line, Scalar};

fn scalar(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Str(s) => format!("s{s:?}"),
        Scalar::U64(n) => format!("u{n}"),
        Scalar::I64(n) => format!("i{n}"),
        Scalar::Other => "-".to_owned(),
    }
}

/// Every field of a line, as text.
fn show(l: &Line<'_>) -> String {
    let scalars = [
        &l.journal,
        &l.workflow,
        &l.run_id,
        &l.start_time,
        &l.end,
        &l.id,
        &l.parent,
        &l.kind,
        &l.status,
        &l.name,
        &l.number,
        &l.start_ns,
        &l.end_ns,
        &l.thread,
        &l.error,
        &l.level,
        &l.logger,
        &l.message,
        &l.model,
    ];
    let mut out: Vec<String> = scalars.iter().map(|s| scalar(s)).collect();
    for raw in [l.input, l.output, l.usage] {
        out.push(raw.map_or("none".to_owned(), |r| format!("raw{}", r.get())));
    }
    for (k, v) in &l.metadata.0 {
        out.push(format!("meta{k:?}={}", v.get()));
    }
    out.push(format!("{:?}", l.error_chain));
    out.join(" ")
}

/// Lines as the journal writes them, and a few as it never does.
const LINES: &[&str] = &[
    r#"{"id":4097,"parent":0,"kind":"iteration","status":"incomplete","name":"","number":1,"start_ns":1200,"end_ns":1200,"thread":"main"}"#,
    r#"{"id":4098,"parent":4097,"kind":"interaction","status":"ok","name":"planner","number":0,"start_ns":1300,"end_ns":98000,"thread":"worker-1","input":{"task":"x","n":[1,2.5,null,true]},"output":"plan"}"#,
    r#"{"id":4099,"parent":4098,"kind":"action","status":"error","name":"tool","number":0,"start_ns":-5,"end_ns":9223372036854775807,"thread":"main","input":null,"output":[1,2],"error":"flaky tool"}"#,
    r#"{"id":4100,"parent":4098,"kind":"action","status":"ok","name":"chat","number":0,"start_ns":0,"end_ns":10,"thread":"main","input":{"q":"a"},"metadata":{"model":"m","tokens":{"in":1,"out":2},"model":3},"model":"gpt-4o","usage":{"input_tokens":120,"output_tokens":30,"total_tokens":150,"cost_usd":0.0006}}"#,
    r#"{"id":4101,"parent":4098,"kind":"event","status":"ok","name":"log","number":0,"start_ns":20,"end_ns":20,"thread":"main","input":{"depth":2},"level":"INFO","logger":"planner.sub","message":"thinking"}"#,
    r#"{"id":0,"parent":0,"kind":"event","status":"ok","name":"fetched","number":0,"start_ns":-9223372036854775808,"end_ns":0,"thread":"t","input":{"n":1},"usage":null}"#,
    r#"{"id":18446744073709551615,"parent":1,"kind":"action","status":"ok","name":"big","number":18446744073709551615,"start_ns":1,"end_ns":2,"thread":"main","metadata":{}}"#,
    r#"{"id":5,"parent":1,"kind":"action","status":"ok","name":"esc\"aped","number":0,"start_ns":1,"end_ns":2,"thread":"main"}"#,
    r#"{"id":6,"parent":1,"kind":"action","status":"ok","name":"chain","number":0,"start_ns":1,"end_ns":2,"thread":"main","error":"a: b","error_chain":["a: b","b"]}"#,
    r#"{"journal":"workflow-log/1","workflow":"w","run_id":"r","start_time":"2026-01-01T00:00:00.000000Z"}"#,
    r#"{"end":"ok","end_ns":99}"#,
];

/// Bytes that make readers trip when they replace or join a line's own.
const TRIPS: &[u8] = b"\"\\,:}{]-0 .e\x01";

fn check(bytes: &[u8]) {
    if let Some(fast) = fast::line(bytes) {
        let serde = by_serde(bytes).unwrap_or_else(|| {
            panic!(
                "read by hand, refused by serde: {}",
                String::from_utf8_lossy(bytes)
            )
        });
        assert_eq!(
            show(&fast),
            show(&serde),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn the_hand_reader_reads_the_journals_lines_as_serde_does() {
    for line in LINES {
        let bytes = line.as_bytes();
        check(bytes);
        check(&[bytes, b"\n"].concat());
        check(&[bytes, b" \r\n"].concat());
        check(&[bytes, b"x"].concat());
    }
    let read = LINES
        .iter()
        .filter(|l| fast::line(l.as_bytes()).is_some())
        .count();
    // All but the escaped name, the error chain, the header and the end line.
    assert_eq!(read, LINES.len() - 4);
}

#[test]
fn a_damaged_line_is_read_by_hand_only_as_serde_reads_it() {
    for line in LINES {
        let bytes = line.as_bytes();
        for cut in 0..bytes.len() {
            check(&bytes[..cut]);
            let mut without = bytes.to_vec();
            without.remove(cut);
            check(&without);
            for &b in TRIPS {
                let mut changed = bytes.to_vec();
                changed[cut] = b;
                check(&changed);
                let mut inserted = bytes.to_vec();
                inserted.insert(cut, b);
                check(&inserted);
            }
        }
        // Bytes that are not UTF-8, in a payload and in a name.
        check(
            &line
                .replace("\"x\"", "\"\u{fffd}\"")
                .replace('\u{fffd}', "\u{7f}")
                .into_bytes(),
        );
        let mut bad = bytes.to_vec();
        if let Some(at) = line.find("main") {
            bad[at] = 0xff;
            check(&bad);
        }
    }
}

#[test]
fn newlines_are_found_where_they_are() {
    use super::stream::newline;
    // Bytes next to `\n` in value, and with the high bit set.
    const OTHERS: [u8; 5] = [b'a', 0x0b, 0x09, 0xff, 0x8a];
    for len in 0..40 {
        for at in 0..=len {
            let mut bytes: Vec<u8> = (0..len).map(|i| OTHERS[i % OTHERS.len()]).collect();
            if at < len {
                bytes[at] = b'\n';
                if at + 3 < len {
                    bytes[at + 3] = b'\n';
                }
            }
            let expected = (at < len).then_some(at);
            assert_eq!(newline(&bytes), expected, "{bytes:?}");
        }
    }
}

/// Lines read back by offset through blocks of every small size (lines crossing one block,
/// several, or ending on a block's edge), the last line without its newline, and a file that
/// got shorter than the first pass saw.
#[test]
fn lines_are_read_back_whole_across_blocks() {
    use super::stream::Lines;
    use std::io::Write;
    let text = "{\"a\":1}\n\nx\n{\"long\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}\nyz\n\nlast";
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    for block in 1..=20 {
        let f = std::fs::File::open(file.path()).unwrap();
        let mut lines = Lines::with_blocks_of(f, text.len() as u64, block);
        // Forwards, then backwards, so that blocks are evicted and read again.
        for &at in starts.iter().chain(starts.iter().rev()) {
            let expected = text[at..].split('\n').next().unwrap();
            let got = lines.line_at(at as u64).unwrap();
            assert_eq!(got, expected.as_bytes(), "block {block}, line at {at}");
        }
    }
    let f = std::fs::File::open(file.path()).unwrap();
    let mut lines = Lines::with_blocks_of(f, text.len() as u64 + 10, 4);
    let err = lines.line_at(starts[starts.len() - 1] as u64).unwrap_err();
    assert!(err.to_string().contains("shorter"), "{err}");
}
