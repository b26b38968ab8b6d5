//! Reading a journal back by offset: newlines found eight bytes at a time, and lines read
//! whole through blocks of every size.

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
