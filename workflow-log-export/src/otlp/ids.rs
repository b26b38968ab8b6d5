//! Trace and span ids derived from the run's id and the records' ids.
//!
//! The same run always maps to the same ids, so sending it twice (or from a journal first and
//! the finished file later) updates one trace instead of making two. The hash is 128-bit
//! FNV-1a, written out here so that the ids can't change with a dependency's or the standard
//! library's hasher.

const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

fn fnv1a(parts: &[&[u8]]) -> u128 {
    let mut h = FNV_OFFSET;
    for part in parts {
        for &b in *part {
            h ^= u128::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        // A separator that no UTF-8 text holds, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The 16-byte trace id of the run `run_id`; never all zeros (OTLP's "invalid").
pub fn trace_id(run_id: &str) -> [u8; 16] {
    let h = fnv1a(&[b"workflow-log trace", run_id.as_bytes()]);
    non_zero(h).to_be_bytes()
}

/// The 8-byte span id of the record `record_id` in the run `run_id` (`None`: the run's root
/// span); never all zeros.
pub fn span_id(run_id: &str, record_id: Option<&str>) -> [u8; 8] {
    let h = match record_id {
        Some(id) => fnv1a(&[b"workflow-log span", run_id.as_bytes(), id.as_bytes()]),
        None => fnv1a(&[b"workflow-log root", run_id.as_bytes()]),
    };
    // Fold the 128 bits into 64.
    let folded = (h >> 64) as u64 ^ (h as u64);
    if folded == 0 { 1 } else { folded }.to_be_bytes()
}

fn non_zero(h: u128) -> u128 {
    if h == 0 {
        1
    } else {
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(trace_id("abc"), trace_id("abc"));
        assert_ne!(trace_id("abc"), trace_id("abd"));
        assert_eq!(span_id("r", Some("1")), span_id("r", Some("1")));
        assert_ne!(span_id("r", Some("1")), span_id("r", Some("2")));
        assert_ne!(span_id("r", Some("1")), span_id("s", Some("1")));
        assert_ne!(span_id("r", None), span_id("r", Some("")));
        assert_ne!(span_id("ab", Some("c")), span_id("a", Some("bc")));
    }

    #[test]
    fn ids_do_not_change_between_versions() {
        // Pinned (and computed independently): a change here re-keys every trace users already sent.
        assert_eq!(
            crate::otlp::json::hex(&trace_id("0123456789ab")),
            PINNED_TRACE
        );
    }

    const PINNED_TRACE: &str = "63b858947677388787037a5bf19cee8c";
}
