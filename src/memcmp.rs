//! The component's `memcmp`: eight bytes at a time.
//!
//! Ordering and comparing strings — every `BTreeMap<String, _>` lookup and
//! insert, every sort of key names — ends in C's `memcmp`, and wasi-libc's
//! compares one byte per loop turn. Key names share long prefixes
//! (`resource-0042-username`), so with 1,000 composed resources that loop
//! was 18% of `serve`'s CPU. Defining the symbol here keeps the C library's
//! object out of the link (the linker takes an archive member only for a
//! symbol nothing else defines).
//!
//! Natively the C library's vectorised `memcmp` stays; [`compare`] is
//! compiled there only for its tests.

/// What C's `memcmp` answers for two equally long byte strings: zero when
/// equal, else the difference of the first pair of bytes that differ.
pub(crate) fn compare(left: &[u8], right: &[u8]) -> i32 {
    debug_assert_eq!(left.len(), right.len());
    let (left_words, right_words) = (left.chunks_exact(8), right.chunks_exact(8));
    let (left_tail, right_tail) = (left_words.remainder(), right_words.remainder());
    for (left_word, right_word) in left_words.zip(right_words) {
        let (x, y) = (word(left_word), word(right_word));
        if x != y {
            // Little-endian: the lowest differing bit is in the first
            // differing byte.
            let shift = (x ^ y).trailing_zeros() & !7;
            return i32::from((x >> shift) as u8) - i32::from((y >> shift) as u8);
        }
    }
    left_tail.iter().zip(right_tail).find(|(x, y)| x != y).map_or(0, |(x, y)| i32::from(*x) - i32::from(*y))
}

fn word(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// Not inlined: link-time optimisation would otherwise copy it into every
/// caller in the speed-optimised build, 270 KB more to compile for 2% on
/// 1,000 keys.
///
/// # Safety
///
/// C's contract: when `count` is not zero, both pointers address `count`
/// readable bytes.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe extern "C" fn memcmp(left: *const u8, right: *const u8, count: usize) -> i32 {
    if count == 0 {
        // C callers may pass null with a zero count; a slice may not be null.
        return 0;
    }
    // SAFETY: the caller's contract above.
    let (left, right) =
        unsafe { (core::slice::from_raw_parts(left, count), core::slice::from_raw_parts(right, count)) };
    compare(left, right)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn sign(value: i32) -> Ordering {
        value.cmp(&0)
    }

    /// Every length from 0 to 40 (words and tails), a difference at every
    /// position, bytes on both sides of 0x80 (the sign bit of a C char),
    /// and the exact difference C reports for the first differing byte.
    #[test]
    fn answers_as_memcmp_does_at_every_length_and_position() {
        for length in 0..=40 {
            let base: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(compare(&base, &base), 0, "length {length}");
            for position in 0..length {
                for other in [0u8, 1, 0x7f, 0x80, 0xfe, 0xff] {
                    let mut changed = base.clone();
                    if changed[position] == other {
                        continue;
                    }
                    changed[position] = other;
                    // A later difference must not matter.
                    if position + 1 < length {
                        changed[length - 1] ^= 0x55;
                    }
                    let expected = i32::from(base[position]) - i32::from(other);
                    assert_eq!(compare(&base, &changed), expected, "length {length}, byte {position} = {other}");
                    assert_eq!(compare(&changed, &base), -expected);
                    assert_eq!(sign(compare(&base, &changed)), base.cmp(&changed));
                }
            }
        }
    }

    #[test]
    fn orders_shared_prefixes_as_str_does() {
        let keys = ["resource-0042-username", "resource-0042-password", "resource-0043-username", "resource-0042-user"];
        for left in keys {
            for right in keys {
                let common = left.len().min(right.len());
                let by_bytes = sign(compare(&left.as_bytes()[..common], &right.as_bytes()[..common]));
                assert_eq!(by_bytes.then(left.len().cmp(&right.len())), left.cmp(right), "{left} vs {right}");
            }
        }
    }
}
