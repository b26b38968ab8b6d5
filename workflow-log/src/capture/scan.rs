//! The byte scan under JSON escaping and secret redaction, 32 bytes at a time with AVX2 (on
//! x86-64 processors that have it, checked at run time; elsewhere, and for texts shorter than
//! [`MIN_LEN`], the word-at-a-time code of `escape.rs` and `secrets.rs` runs).
//!
//! Each byte is looked up by its two nibbles in 16-entry tables (`pshufb`, as in the "Teddy"
//! search of Hyperscan and the `aho-corasick` crate): each entry is a byte of 8 flags, and a
//! byte has a flag when the entries of both its nibbles have it. Four flags are the classes of
//! bytes JSON escapes; four are the first three bytes of a secret (`sk-`, `eyJ`/`xox`,
//! `AKI`/`Bea`, `gh?`/`git`): a position is flagged for one of those only when the byte two
//! before, the one before and itself all have its flag. So prose costs no closer look: a
//! hyphen, an underscore or a capital alone is never flagged, only `sk-` or `eyJ` and the few
//! trigrams that share their nibbles. What a flag means is decided by the caller, from the
//! bytes, so the tables only have to flag every place that matters (and few others).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256,
    _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256,
    _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_testz_si256, _mm_loadu_si128,
};

/// The shortest text the scan takes: a block of 32 bytes and the two before its first.
pub(super) const MIN_LEN: usize = 34;

/// The flags of the classes of bytes that JSON escapes, all on the byte itself.
#[cfg(target_arch = "x86_64")]
const ESCAPE_FLAGS: u8 = 0b0000_1111;

/// Lookup tables: for the byte at a position (`[0]`), the one before (`[1]`) and the one two
/// before (`[2]`), the flags of each low and high nibble.
#[derive(Debug)]
pub(super) struct Tables {
    lo: [[u8; 16]; 3],
    hi: [[u8; 16]; 3],
    /// Whether the bytes before matter (any secret flag); if not, only `[0]` is looked up.
    trigrams: bool,
}

const NONE: Tables = Tables {
    lo: [[0; 16]; 3],
    hi: [[0; 16]; 3],
    trigrams: false,
};

/// `t` with `flag` set, at position `pos`, for every byte of `bytes`.
const fn with(mut t: Tables, flag: u8, pos: usize, bytes: &[u8]) -> Tables {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        t.lo[pos][(b & 0xf) as usize] |= flag;
        t.hi[pos][(b >> 4) as usize] |= flag;
        i += 1;
    }
    t
}

/// `t` with `flag` set for the three-byte starts `[first, second, third]` (each a set of
/// bytes): the third is the byte at the flagged position.
const fn trigram(t: Tables, flag: u8, [first, second, third]: [&[u8]; 3]) -> Tables {
    let mut t = with(
        with(with(t, flag, 2, first), flag, 1, second),
        flag,
        0,
        third,
    );
    t.trigrams = true;
    t
}

const CONTROL: [u8; 32] = {
    let mut all = [0; 32];
    let mut b = 0;
    while b < 32 {
        all[b] = b as u8;
        b += 1;
    }
    all
};

/// The bytes JSON escapes (see `escape.rs`): control characters, `"`, `\` and DEL.
const fn escapes(t: Tables) -> Tables {
    with(
        with(
            with(with(t, 0b0001, 0, &CONTROL), 0b0010, 0, b"\""),
            0b0100,
            0,
            b"\\",
        ),
        0b1000,
        0,
        b"\x7f",
    )
}

/// The first three bytes of every secret `secrets.rs` knows, two kinds to a flag where their
/// nibbles mix into few other trigrams.
const fn secrets(t: Tables) -> Tables {
    let t = trigram(t, 0b0001_0000, [b"s", b"k", b"-"]);
    let t = trigram(t, 0b0010_0000, [b"e", b"y", b"J"]);
    let t = trigram(t, 0b0010_0000, [b"x", b"o", b"x"]);
    let t = trigram(t, 0b0100_0000, [b"A", b"K", b"I"]);
    let t = trigram(t, 0b0100_0000, [b"B", b"e", b"a"]);
    let t = trigram(t, 0b1000_0000, [b"g", b"h", b"pousr"]);
    trigram(t, 0b1000_0000, [b"g", b"i", b"t"])
}

/// Bytes JSON escapes.
pub(super) static ESCAPES: Tables = escapes(NONE);
/// Where a secret may start (its third byte).
pub(super) static SECRETS: Tables = secrets(NONE);
/// Both.
pub(super) static ESCAPES_AND_SECRETS: Tables = secrets(escapes(NONE));

/// Calls `at(p)` for every position `p` that `tables` flag, in order, each time going on from
/// the position `at` returns (past `p`: what it handled is not looked at again). Returns
/// `false`, having called nothing, where the scan can't run: not x86-64 with AVX2, or a text
/// shorter than [`MIN_LEN`].
#[inline]
pub(super) fn each_flagged(b: &[u8], tables: &Tables, at: impl FnMut(usize) -> usize) -> bool {
    if b.len() < MIN_LEN {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above), the one precondition of
        // `walk`'s `target_feature`; `walk` reads only inside `b`, which is long enough.
        unsafe {
            if tables.trigrams {
                walk::<true>(b, tables, at);
            } else {
                walk::<false>(b, tables, at);
            }
        }
        return true;
    }
    let _ = (tables, at);
    false
}

/// The flags of the byte `b` looked up alone (the bytes before it unknown): only the escape
/// classes can be set.
#[cfg(target_arch = "x86_64")]
fn flags_alone(tables: &Tables, b: u8) -> u8 {
    if b >= 0x80 {
        return 0;
    }
    tables.lo[0][usize::from(b & 0xf)] & tables.hi[0][usize::from(b >> 4)] & ESCAPE_FLAGS
}

/// See [`each_flagged`]. With `TRIGRAMS`, the two bytes before a position are looked up too:
/// the first block starts at 2 and positions 0 and 1 are looked at one by one (no secret's
/// third byte is there).
///
/// # Safety
/// The processor has AVX2, and `b.len() >= MIN_LEN`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn walk<const TRIGRAMS: bool>(
    b: &[u8],
    tables: &Tables,
    mut at: impl FnMut(usize) -> usize,
) {
    let len = b.len();
    debug_assert!(len >= MIN_LEN);
    let first = if TRIGRAMS { 2 } else { 0 };
    let mut i = 0;
    while i < first {
        i = if flags_alone(tables, b[i]) != 0 {
            at(i)
        } else {
            i + 1
        };
    }
    // SAFETY: AVX2 is enabled here.
    let rows = unsafe { Rows::load(tables) };
    loop {
        // 64 bytes at a time; most of any text has nothing flagged.
        let (base, mask, width) = if i + 64 <= len {
            // SAFETY: AVX2 is enabled here; `pair` reads from `i - 2` (with `TRIGRAMS`:
            // `i >= first = 2`) to `i + 64 <= len`.
            let mask = unsafe { pair::<TRIGRAMS>(b.as_ptr().add(i), &rows) };
            if mask == 0 {
                i += 64;
                continue;
            }
            (i, mask, 64)
        } else if i < len {
            // The last block ends at the text's end (and may go over bytes seen already).
            let base = if i + 32 <= len { i } else { len - 32 };
            // SAFETY: as for `pair`, from `base - 2` (`base >= first`, as `i >= first` and
            // `len - 32 >= 2`) to `base + 32 <= len`.
            let mask = unsafe { block::<TRIGRAMS>(b.as_ptr().add(base), &rows) };
            (base, u64::from(mask) & (u64::MAX << (i - base)), 32)
        } else {
            return;
        };
        // Each flagged position in turn, from where the last call left off.
        let mut mask = mask;
        i = base + width;
        while mask != 0 {
            let p = base + mask.trailing_zeros() as usize;
            let after = at(p);
            debug_assert!(after > p);
            if after >= base + width {
                i = after;
                break;
            }
            mask &= u64::MAX << (after - base);
        }
    }
}

/// The tables, each row in both halves of a register.
#[cfg(target_arch = "x86_64")]
struct Rows {
    lo: [__m256i; 3],
    hi: [__m256i; 3],
}

#[cfg(target_arch = "x86_64")]
impl Rows {
    /// # Safety
    /// The processor has AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn load(t: &Tables) -> Rows {
        let mut rows = Rows {
            lo: [_mm256_setzero_si256(); 3],
            hi: [_mm256_setzero_si256(); 3],
        };
        for k in 0..3 {
            // SAFETY: 16 bytes are read from a 16-byte array; AVX2 is enabled here.
            unsafe {
                rows.lo[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(t.lo[k].as_ptr().cast()));
                rows.hi[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128(t.hi[k].as_ptr().cast()));
            }
        }
        rows
    }
}

/// The flags of 32 bytes, by the tables of position `k`: `pshufb` takes the low nibble of each
/// index (and gives 0 for a byte of 0x80 and above: no flag is set for one), the high one
/// shifted down.
///
/// # Safety
/// The processor has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn flags(v: __m256i, rows: &Rows, k: usize) -> __m256i {
    // The older `core::arch` (before Rust 1.87) has every intrinsic `unsafe`.
    #[allow(unused_unsafe)]
    // SAFETY: AVX2 is enabled here.
    unsafe {
        let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), _mm256_set1_epi8(0xf));
        _mm256_and_si256(
            _mm256_shuffle_epi8(rows.lo[k], v),
            _mm256_shuffle_epi8(rows.hi[k], high),
        )
    }
}

/// A bit for each of the 32 positions from `at` that the tables flag.
///
/// # Safety
/// The processor has AVX2; the 32 bytes from `at` can be read, and with `TRIGRAMS` the two
/// before them too.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block<const TRIGRAMS: bool>(at: *const u8, rows: &Rows) -> u32 {
    // SAFETY: AVX2 is enabled here; the loads are in what the caller allows.
    unsafe { nonzero(found::<TRIGRAMS>(at, rows)) }
}

/// A bit for each nonzero byte of `v`.
///
/// # Safety
/// The processor has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn nonzero(v: __m256i) -> u32 {
    // SAFETY: AVX2 is enabled here.
    #[allow(unused_unsafe)]
    unsafe {
        !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())) as u32)
    }
}

/// A bit for each of the 64 positions from `at` that the tables flag.
///
/// # Safety
/// As for [`block`], for 64 bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn pair<const TRIGRAMS: bool>(at: *const u8, rows: &Rows) -> u64 {
    // SAFETY: AVX2 is enabled here; the loads are in what the caller allows.
    unsafe {
        let (first, second) = (
            found::<TRIGRAMS>(at, rows),
            found::<TRIGRAMS>(at.add(32), rows),
        );
        let both = _mm256_or_si256(first, second);
        if _mm256_testz_si256(both, both) != 0 {
            return 0;
        }
        u64::from(nonzero(first)) | u64::from(nonzero(second)) << 32
    }
}

/// The flags of the 32 positions from `at` (nonzero bytes flagged).
///
/// # Safety
/// As for [`block`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn found<const TRIGRAMS: bool>(at: *const u8, rows: &Rows) -> __m256i {
    // SAFETY: AVX2 is enabled here; the loads are in what the caller allows.
    unsafe {
        let mut found = flags(_mm256_loadu_si256(at.cast()), rows, 0);
        if TRIGRAMS {
            let before = _mm256_and_si256(
                flags(_mm256_loadu_si256(at.sub(1).cast()), rows, 1),
                flags(_mm256_loadu_si256(at.sub(2).cast()), rows, 2),
            );
            found = _mm256_and_si256(
                found,
                _mm256_or_si256(before, _mm256_set1_epi8(ESCAPE_FLAGS as i8)),
            );
        }
        found
    }
}
