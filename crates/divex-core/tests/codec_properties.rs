//! Property tests for the strict deterministic CBOR codec (`divex_core::testing::codec`).
//!
//! 1. Round trip: `decode(&encode(&v)) == Ok(v)` for arbitrary value trees, and an
//!    independent encoder written here agrees byte for byte with `encode`.
//! 2. Canonicality: every input `decode` accepts re-encodes to the identical bytes (arbitrary
//!    bytes, random head/token streams, mutated valid encodings); strict prefixes of valid
//!    encodings are `Truncated`.
//! 3. Rejection of non-canonical variants with the specific typed error and offset:
//!    non-shortest heads, indefinite lengths, unsorted / length-first key order, duplicate keys,
//!    trailing bytes. The variants are produced by this file's own "non-canonical encoder".
//! 4. Limits: depth, declared lengths larger than the input (without allocating), custom
//!    `DecodeLimits` via `decode_with`, and `DecodeLimits::clamped`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::HashSet;

use divex_core::testing::codec::{
    CodecError, DecodeLimits, Integer, Map, Value, decode, decode_with, encode,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

// =============================================================================================
// The test's own encoder: independent of `codec::write_head`, records where every item and
// head sits, and can emit heads in any (including non-shortest) width.

/// Bytes following the initial byte for the shortest form of `arg` (0 = inline).
fn min_width(arg: u64) -> u8 {
    if arg < 24 {
        0
    } else if arg <= 0xff {
        1
    } else if arg <= 0xffff {
        2
    } else if arg <= 0xffff_ffff {
        4
    } else {
        8
    }
}

/// An item head with the argument in `width` following bytes (0 = in the initial byte).
fn head(major: u8, arg: u64, width: u8) -> Vec<u8> {
    assert!(width >= min_width(arg), "width {width} cannot hold {arg}");
    let ib = major << 5;
    let mut out = Vec::with_capacity(9);
    match width {
        0 => out.push(ib | u8::try_from(arg).unwrap()),
        1 => {
            out.push(ib | 24);
            out.push(u8::try_from(arg).unwrap());
        }
        2 => {
            out.push(ib | 25);
            out.extend_from_slice(&u16::try_from(arg).unwrap().to_be_bytes());
        }
        4 => {
            out.push(ib | 26);
            out.extend_from_slice(&u32::try_from(arg).unwrap().to_be_bytes());
        }
        8 => {
            out.push(ib | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
        _ => panic!("bad width {width}"),
    }
    out
}

fn short_head(major: u8, arg: u64) -> Vec<u8> {
    head(major, arg, min_width(arg))
}

/// Where one item of an encoding sits.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    head_len: usize,
    end: usize,
    major: u8,
    arg: u64,
}

#[derive(Debug, Default)]
struct Enc {
    out: Vec<u8>,
    spans: Vec<Span>,
}

impl Enc {
    fn value(&mut self, v: &Value) {
        let start = self.out.len();
        let (major, arg) = match v {
            Value::Integer(i) => {
                let n = i.get();
                if n >= 0 {
                    (0, u64::try_from(n).unwrap())
                } else {
                    (1, u64::try_from(-1 - n).unwrap())
                }
            }
            Value::Bytes(b) => (2, b.len() as u64),
            Value::Text(t) => (3, t.len() as u64),
            Value::Array(a) => (4, a.len() as u64),
            Value::Map(m) => (5, m.len() as u64),
            Value::Tag(t, _) => (6, *t),
            Value::Bool(false) => (7, 20),
            Value::Bool(true) => (7, 21),
            Value::Null => (7, 22),
            _ => panic!("Value variant unknown to this test: {v:?}"),
        };
        self.out.extend(short_head(major, arg));
        let idx = self.spans.len();
        self.spans.push(Span {
            start,
            head_len: self.out.len() - start,
            end: 0,
            major,
            arg,
        });
        match v {
            Value::Bytes(b) => self.out.extend_from_slice(b),
            Value::Text(t) => self.out.extend_from_slice(t.as_bytes()),
            Value::Array(a) => a.iter().for_each(|x| self.value(x)),
            Value::Map(m) => {
                // Sort independently of the codec's Map: bytewise order of encoded keys.
                let mut entries: Vec<(Vec<u8>, &Value, &Value)> =
                    m.iter().map(|(k, x)| (test_encode(k).out, k, x)).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                for (_, k, x) in entries {
                    self.value(k);
                    self.value(x);
                }
            }
            Value::Tag(_, inner) => self.value(inner),
            _ => {}
        }
        self.spans[idx].end = self.out.len();
    }
}

fn test_encode(v: &Value) -> Enc {
    let mut e = Enc::default();
    e.value(v);
    e
}

/// `out[..span.start] ++ head in `width` ++ out[span.start + head_len..]`.
fn lengthen(enc: &Enc, span: Span, width: u8) -> Vec<u8> {
    let mut out = enc.out[..span.start].to_vec();
    out.extend(head(span.major, span.arg, width));
    out.extend_from_slice(&enc.out[span.start + span.head_len..]);
    out
}

/// Re-encodes the string/array/map at `span` in indefinite-length form. Strings are split
/// into up to two definite chunks around `cut` (at a char boundary for text).
fn make_indefinite(enc: &Enc, span: Span, cut: usize) -> Vec<u8> {
    assert!((2..=5).contains(&span.major));
    let mut out = enc.out[..span.start].to_vec();
    out.push((span.major << 5) | 31);
    let content = &enc.out[span.start + span.head_len..span.end];
    if span.major <= 3 {
        let mut cut = cut % (content.len() + 1);
        if span.major == 3 {
            let s = std::str::from_utf8(content).unwrap();
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
        }
        let chunks: Vec<&[u8]> = if content.is_empty() {
            vec![] // "_ ''": zero chunks
        } else if cut == 0 || cut == content.len() {
            vec![content]
        } else {
            vec![&content[..cut], &content[cut..]]
        };
        for c in chunks {
            out.extend(short_head(span.major, c.len() as u64));
            out.extend_from_slice(c);
        }
    } else {
        out.extend_from_slice(content);
    }
    out.push(0xff);
    out.extend_from_slice(&enc.out[span.end..]);
    out
}

/// A map head and the given (encoded key, encoded value) entries verbatim, in the given
/// order. Returns the bytes and the offset of every key.
fn raw_map(entries: &[(Vec<u8>, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
    let mut out = short_head(5, entries.len() as u64);
    let mut offsets = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        offsets.push(out.len());
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    (out, offsets)
}

/// `[prefix..., <middle>, suffix...]`; returns the bytes and where `middle` starts.
fn embed(prefix: &[Value], middle: &[u8], suffix: &[Value]) -> (Vec<u8>, usize) {
    let mut out = short_head(4, (prefix.len() + 1 + suffix.len()) as u64);
    prefix.iter().for_each(|v| out.extend(encode(v)));
    let base = out.len();
    out.extend_from_slice(middle);
    suffix.iter().for_each(|v| out.extend(encode(v)));
    (out, base)
}

// =============================================================================================
// Strategies.

const INT_BOUNDARIES: [i128; 10] = [
    0,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    (1 << 32) - 1,
    1 << 32,
    (1 << 64) - 1,
];

fn u64_boundaries() -> Vec<u64> {
    INT_BOUNDARIES
        .iter()
        .map(|&b| u64::try_from(b).unwrap())
        .collect()
}

/// Integers in the CBOR range, heavily biased to every head-size boundary (for both major
/// type 0 and major type 1, i.e. `n` and `-1 - n`) and to ±2^64.
fn int_strategy() -> impl Strategy<Value = i128> {
    prop_oneof![
        4 => (select(INT_BOUNDARIES.to_vec()), -2i128..=2, any::<bool>()).prop_filter_map(
            "outside the CBOR integer range",
            |(b, d, neg)| {
                let x = b + d;
                let v = if neg { -1 - x } else { x };
                (Integer::MIN..=Integer::MAX).contains(&v).then_some(v)
            }
        ),
        1 => Just(Integer::MIN),
        1 => Just(Integer::MAX),
        2 => any::<u64>().prop_map(i128::from),
        2 => any::<i64>().prop_map(i128::from),
        2 => Integer::MIN..=Integer::MAX,
        2 => -30i128..30,
    ]
}

fn int_value(n: i128) -> Value {
    Value::Integer(Integer::try_from(n).unwrap())
}

fn tag_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..40,
        2 => select(u64_boundaries()),
        1 => any::<u64>(),
    ]
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => vec(any::<u8>(), 0..30),
        1 => vec(any::<u8>(), 250..260),
    ]
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => "[a-zé中😀\u{0}\u{7f}\u{80}\u{ffff}\u{10ffff}]{0,30}",
        1 => "[a-z]{20,28}",
        1 => "[a-z]{250,260}",
    ]
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        5 => int_strategy().prop_map(int_value),
        2 => bytes_strategy().prop_map(Value::Bytes),
        2 => text_strategy().prop_map(Value::Text),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
    .boxed()
}

/// A map via `Value::map`, dropping entries whose key was already used.
fn build_map(entries: Vec<(Value, Value)>) -> Value {
    let mut seen = HashSet::new();
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|(k, _)| seen.insert(encode(k)))
        .collect();
    Value::map(entries).unwrap()
}

/// Arbitrary value trees of nesting depth at most 6 (containers — arrays, maps with keys of
/// any type including containers, tags — above a leaf), well within `DecodeLimits::DEFAULT`.
fn value() -> BoxedStrategy<Value> {
    let leaf = leaf();
    leaf.clone()
        .prop_recursive(6, 96, 3, move |inner| {
            let key = prop_oneof![3 => leaf.clone(), 1 => inner.clone()];
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                vec((key, inner.clone()), 0..6).prop_map(build_map),
                (tag_strategy(), inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
            ]
        })
        .boxed()
}

fn key() -> BoxedStrategy<Value> {
    prop_oneof![4 => leaf(), 1 => value()].boxed()
}

/// Entries with distinct keys, as (encoded key, encoded value), in generation order.
fn distinct_entries(min: usize) -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    vec((key(), value()), min..8)
        .prop_map(|es| {
            let mut seen = HashSet::new();
            es.into_iter()
                .map(|(k, v)| (encode(&k), encode(&v)))
                .filter(|(k, _)| seen.insert(k.clone()))
                .collect::<Vec<_>>()
        })
        .prop_filter("too few distinct keys", move |es| es.len() >= min)
}

#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    /// Deepest array/map/tag (top level = 1), 0 if none.
    depth: usize,
    /// Largest array length / map entry count.
    items: usize,
    /// Longest byte/text string.
    string: usize,
}

fn stats(v: &Value) -> Stats {
    fn walk(v: &Value, level: usize, s: &mut Stats) {
        match v {
            Value::Array(a) => {
                s.depth = s.depth.max(level);
                s.items = s.items.max(a.len());
                a.iter().for_each(|x| walk(x, level + 1, s));
            }
            Value::Map(m) => {
                s.depth = s.depth.max(level);
                s.items = s.items.max(m.len());
                for (k, x) in m.iter() {
                    walk(k, level + 1, s);
                    walk(x, level + 1, s);
                }
            }
            Value::Tag(_, x) => {
                s.depth = s.depth.max(level);
                walk(x, level + 1, s);
            }
            Value::Bytes(b) => s.string = s.string.max(b.len()),
            Value::Text(t) => s.string = s.string.max(t.len()),
            _ => {}
        }
    }
    let mut s = Stats::default();
    walk(v, 1, &mut s);
    s
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Insert(Index, u8),
    Delete(Index),
    Splice(Index, Vec<u8>),
    Duplicate(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        1 => (any::<Index>(), vec(any::<u8>(), 1..9)).prop_map(|(i, b)| Mutation::Splice(i, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

fn apply(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    match m {
        Mutation::Flip(i, mask) if !b.is_empty() => {
            let i = i.index(b.len());
            b[i] ^= mask;
        }
        Mutation::Set(i, v) if !b.is_empty() => {
            let i = i.index(b.len());
            b[i] = *v;
        }
        Mutation::Truncate(i) => b.truncate(i.index(b.len() + 1)),
        Mutation::Insert(i, v) => b.insert(i.index(b.len() + 1), *v),
        Mutation::Delete(i) if !b.is_empty() => {
            b.remove(i.index(b.len()));
        }
        Mutation::Splice(i, s) => {
            let at = i.index(b.len() + 1);
            b.splice(at..at, s.iter().copied());
        }
        Mutation::Duplicate(a, c) if !b.is_empty() => {
            let (x, y) = (a.index(b.len()), c.index(b.len()));
            let (lo, hi) = (x.min(y), x.max(y) + 1);
            let piece = b[lo..hi].to_vec();
            b.splice(hi..hi, piece);
        }
        _ => {}
    }
    b
}

/// Streams of random item heads (any major type, any width including non-shortest,
/// reserved and indefinite additional information) and short raw runs: far likelier to
/// produce well-formed and near-well-formed CBOR than uniform bytes.
fn token_stream() -> impl Strategy<Value = Vec<u8>> {
    let arg =
        prop_oneof![8 => 0u64..4, 4 => 0u64..30, 1 => select(u64_boundaries()), 1 => any::<u64>()];
    let tok = prop_oneof![
        // Mostly shortest heads, sometimes a wider (non-shortest) one.
        8 => (0u8..8, arg, 0u8..12).prop_map(|(major, arg, w)| {
            let width = [0u8, 1, 2, 4, 8].get(usize::from(w)).copied().unwrap_or(0);
            head(major, arg, width.max(min_width(arg)))
        }),
        1 => (0u8..8, 28u8..32).prop_map(|(major, ai)| vec![(major << 5) | ai]),
        2 => vec(any::<u8>(), 0..4),
        1 => select(vec![0xf4u8, 0xf5, 0xf6, 0xf7, 0xff]).prop_map(|b| vec![b]),
    ];
    vec(tok, 1..16).prop_map(|ts| ts.concat())
}

fn small_limits_field() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 0usize..70,
        1 => select(vec![
            255usize,
            256,
            4096,
            65_535,
            65_536,
            1 << 20,
            16 * 1024 * 1024,
            256 * 1024 * 1024,
            (256 * 1024 * 1024) + 1,
            usize::MAX,
        ]),
        1 => any::<usize>(),
    ]
}

fn limits_strategy() -> impl Strategy<Value = DecodeLimits> {
    (
        small_limits_field(),
        small_limits_field(),
        small_limits_field(),
        small_limits_field(),
    )
        .prop_map(
            |(max_input, max_depth, max_items, max_string)| DecodeLimits {
                max_input,
                max_depth,
                max_items,
                max_string,
            },
        )
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    }
}

// =============================================================================================
// 1. Round trip.

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn round_trip(v in value()) {
        prop_assert!(stats(&v).depth <= 6);
        let bytes = encode(&v);
        prop_assert_eq!(decode(&bytes), Ok(v.clone()));
        // An independent encoder (own head writer, own bytewise key sort) agrees.
        let ours = test_encode(&v);
        prop_assert_eq!(&ours.out, &bytes);
        prop_assert_eq!(ours.spans[0].end, bytes.len());
        // Map iteration order is the bytewise order of the encoded keys.
        fn check_maps(v: &Value) -> Result<(), TestCaseError> {
            match v {
                Value::Map(m) => {
                    let keys: Vec<Vec<u8>> = m.keys().map(encode).collect();
                    prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "{:?}", m);
                    for (k, x) in m.iter() {
                        prop_assert_eq!(m.get(k), Some(x));
                        check_maps(k)?;
                        check_maps(x)?;
                    }
                }
                Value::Array(a) => a.iter().try_for_each(check_maps)?,
                Value::Tag(_, x) => check_maps(x)?,
                _ => {}
            }
            Ok(())
        }
        check_maps(&v)?;
    }

    #[test]
    fn integers_round_trip_at_every_boundary(n in int_strategy()) {
        let v = int_value(n);
        let bytes = encode(&v);
        let arg = if n >= 0 { u64::try_from(n).unwrap() } else { u64::try_from(-1 - n).unwrap() };
        prop_assert_eq!(bytes.len(), 1 + usize::from(min_width(arg)));
        prop_assert_eq!(decode(&bytes), Ok(v));
    }
}

// =============================================================================================
// 2. Everything accepted is canonical; nothing panics.

fn assert_canonical_if_accepted(b: &[u8]) -> Result<bool, TestCaseError> {
    match decode(b) {
        Ok(v) => {
            prop_assert_eq!(
                encode(&v),
                b.to_vec(),
                "accepted non-canonical input {:02x?}",
                b
            );
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn arbitrary_bytes_accepted_only_if_canonical(b in vec(any::<u8>(), 0..64)) {
        assert_canonical_if_accepted(&b)?;
    }

    #[test]
    fn token_streams_accepted_only_if_canonical(b in token_stream()) {
        assert_canonical_if_accepted(&b)?;
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn mutated_encodings_accepted_only_if_canonical(
        v in value(),
        ms in vec(mutation(), 1..4),
    ) {
        let b = ms.iter().fold(encode(&v), apply);
        assert_canonical_if_accepted(&b)?;
    }

    /// CBOR items are self-delimiting: no strict prefix of a valid encoding decodes.
    #[test]
    fn strict_prefixes_are_truncated(v in value(), cuts in vec(any::<Index>(), 16)) {
        let b = encode(&v);
        for cut in cuts.iter().map(|c| c.index(b.len())).chain([0]) {
            prop_assert_eq!(
                decode(&b[..cut]),
                Err(CodecError::Truncated { offset: cut }),
                "prefix {} of {:02x?}", cut, b
            );
        }
    }

    #[test]
    fn clamping_is_what_decode_with_uses(
        v in value(),
        m in mutation(),
        limits in limits_strategy(),
    ) {
        let b = apply(encode(&v), &m);
        prop_assert_eq!(decode_with(&b, &limits), decode_with(&b, &limits.clamped()));
    }
}

// =============================================================================================
// 3. Non-canonical variants are refused with the specific error.

proptest! {
    #![proptest_config(config(1024))]

    /// 3a. One head (integer, tag number, string/array/map length) re-encoded with a longer
    /// argument than necessary.
    #[test]
    fn non_shortest_heads_are_refused(v in value(), which in any::<Index>(), w in any::<Index>()) {
        let enc = test_encode(&v);
        let eligible: Vec<Span> = enc
            .spans
            .iter()
            .copied()
            .filter(|s| s.major != 7 && min_width(s.arg) < 8)
            .collect();
        prop_assume!(!eligible.is_empty());
        let span = *which.get(&eligible);
        let widths: Vec<u8> = [1u8, 2, 4, 8].into_iter().filter(|&x| x > min_width(span.arg)).collect();
        let bad = lengthen(&enc, span, *w.get(&widths));
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::NonShortestArgument { offset: span.start }),
            "{:02x?}", bad
        );
    }

    /// 3b. One string, array or map re-encoded in indefinite-length form.
    #[test]
    fn indefinite_lengths_are_refused(v in value(), which in any::<Index>(), cut in any::<usize>()) {
        let enc = test_encode(&v);
        let eligible: Vec<Span> = enc
            .spans
            .iter()
            .copied()
            .filter(|s| (2..=5).contains(&s.major))
            .collect();
        prop_assume!(!eligible.is_empty());
        let span = *which.get(&eligible);
        let bad = make_indefinite(&enc, span, cut);
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::IndefiniteLength { offset: span.start }),
            "{:02x?}", bad
        );
    }

    /// 3c. Keys emitted in length-first (RFC 7049 "canonical") order where that differs
    /// from bytewise order.
    #[test]
    fn length_first_key_order_is_refused(
        entries in distinct_entries(2).prop_filter(
            "length-first order equals bytewise order",
            |es| {
                let mut a = es.clone();
                a.sort_by(|x, y| x.0.cmp(&y.0));
                let mut b = es.clone();
                b.sort_by(|x, y| (x.0.len(), &x.0).cmp(&(y.0.len(), &y.0)));
                a != b
            },
        ),
        prefix in vec(value(), 0..3),
        suffix in vec(value(), 0..3),
    ) {
        let mut es = entries;
        es.sort_by(|x, y| (x.0.len(), &x.0).cmp(&(y.0.len(), &y.0)));
        let (map, offsets) = raw_map(&es);
        let first_bad = (1..es.len()).find(|&i| es[i].0 < es[i - 1].0).unwrap();
        let (bad, base) = embed(&prefix, &map, &suffix);
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::KeyOrder { offset: base + offsets[first_bad] }),
            "{:02x?}", bad
        );
    }

    /// 3c. Keys in any non-bytewise order.
    #[test]
    fn unsorted_keys_are_refused(
        entries in distinct_entries(2).prop_shuffle(),
        prefix in vec(value(), 0..3),
        suffix in vec(value(), 0..3),
    ) {
        let mut es = entries;
        if es.windows(2).all(|w| w[0].0 < w[1].0) {
            es.swap(0, 1);
        }
        let (map, offsets) = raw_map(&es);
        let first_bad = (1..es.len()).find(|&i| es[i].0 < es[i - 1].0).unwrap();
        let (bad, base) = embed(&prefix, &map, &suffix);
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::KeyOrder { offset: base + offsets[first_bad] }),
            "{:02x?}", bad
        );
    }

    /// 3d. A sorted map with one key repeated right after itself (same or different value).
    #[test]
    fn duplicate_keys_are_refused(
        entries in distinct_entries(1),
        which in any::<Index>(),
        other_value in prop::option::of(value()),
        prefix in vec(value(), 0..3),
        suffix in vec(value(), 0..3),
    ) {
        let mut es = entries;
        es.sort_by(|x, y| x.0.cmp(&y.0));
        let i = which.index(es.len());
        let dup_value = other_value.map_or_else(|| es[i].1.clone(), |v| encode(&v));
        es.insert(i + 1, (es[i].0.clone(), dup_value));
        let (map, offsets) = raw_map(&es);
        let (bad, base) = embed(&prefix, &map, &suffix);
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::DuplicateKey { offset: base + offsets[i + 1] }),
            "{:02x?}", bad
        );
    }

    /// 3d. A repeated key that is not adjacent to its first occurrence is caught by the
    /// (adjacent-pair) order check first: the copy sorts below its predecessor.
    #[test]
    fn non_adjacent_duplicate_keys_are_refused(
        entries in distinct_entries(2),
        i in any::<Index>(),
        j in any::<Index>(),
    ) {
        let mut es = entries;
        es.sort_by(|x, y| x.0.cmp(&y.0));
        let i = i.index(es.len() - 1);
        let after = i + 1 + j.index(es.len() - i - 1); // in i+1..len
        es.insert(after + 1, es[i].clone());
        let (bad, offsets) = raw_map(&es);
        prop_assert_eq!(
            decode(&bad),
            Err(CodecError::KeyOrder { offset: offsets[after + 1] }),
            "{:02x?}", bad
        );
    }

    /// 3e. Anything after a complete item.
    #[test]
    fn trailing_bytes_are_refused(v in value(), tail in vec(any::<u8>(), 1..=8)) {
        let mut b = encode(&v);
        let len = b.len();
        b.extend_from_slice(&tail);
        prop_assert_eq!(decode(&b), Err(CodecError::TrailingBytes { offset: len }));
    }
}

#[test]
fn length_first_examples() {
    // (length-first order, first out-of-order key offset)
    for (h, off) in [
        // -1 (0x20) before 24 (0x18 0x18)
        ("a220011818f6", 3),
        // -1 (0x20) before 1000 (0x19 0x03 0xe8)
        ("a2200019 03e8 00", 3),
        // "" (0x60) before h'0102' (0x42 0x01 0x02)
        ("a2 60 00 42 0102 00", 3),
        // true (0xf5) before [1, 2] (0x82 0x01 0x02)
        ("a2 f5 00 82 0102 00", 3),
        // 0 (0x00), -1 (0x20), 24 (0x18 0x18): the third key is the first out of order
        ("a3 00 f6 20 f6 1818 f6", 5),
    ] {
        let b = hex::decode(h.replace(' ', "")).unwrap();
        assert_eq!(decode(&b), Err(CodecError::KeyOrder { offset: off }), "{h}");
    }
}

#[test]
fn hand_written_non_canonical_examples() {
    let cases: &[(&str, CodecError)] = &[
        ("1805", CodecError::NonShortestArgument { offset: 0 }),
        ("1900ff", CodecError::NonShortestArgument { offset: 0 }),
        ("1a0000ffff", CodecError::NonShortestArgument { offset: 0 }),
        (
            "1b00000000ffffffff",
            CodecError::NonShortestArgument { offset: 0 },
        ),
        ("3817", CodecError::NonShortestArgument { offset: 0 }),
        ("5800", CodecError::NonShortestArgument { offset: 0 }),
        ("7801 61", CodecError::NonShortestArgument { offset: 0 }),
        ("98 01 00", CodecError::NonShortestArgument { offset: 0 }),
        ("b8 01 00 00", CodecError::NonShortestArgument { offset: 0 }),
        ("d8 01 00", CodecError::NonShortestArgument { offset: 0 }),
        ("82 00 1800", CodecError::NonShortestArgument { offset: 2 }),
        ("5f ff", CodecError::IndefiniteLength { offset: 0 }),
        ("7f 6161 ff", CodecError::IndefiniteLength { offset: 0 }),
        ("9f ff", CodecError::IndefiniteLength { offset: 0 }),
        ("bf ff", CodecError::IndefiniteLength { offset: 0 }),
        ("81 9f ff", CodecError::IndefiniteLength { offset: 1 }),
        ("a2 01 00 01 00", CodecError::DuplicateKey { offset: 3 }),
        ("a2 01 00 00 00", CodecError::KeyOrder { offset: 3 }),
        ("00 00", CodecError::TrailingBytes { offset: 1 }),
        ("a0 ff", CodecError::TrailingBytes { offset: 1 }),
    ];
    for (h, want) in cases {
        let b = hex::decode(h.replace(' ', "")).unwrap();
        assert_eq!(decode(&b).as_ref(), Err(want), "{h}");
    }
}

// =============================================================================================
// 4. Limits.

/// `kinds` nested containers around a `0`: 0 = array, 1 = tag, 2 = map (nested in value
/// position), 3 = map (nested in key position).
fn nest(kinds: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &k in kinds {
        match k {
            0 => out.push(0x81),
            1 => out.push(0xc1),
            2 => out.extend_from_slice(&[0xa1, 0x00]),
            _ => out.push(0xa1),
        }
    }
    out.push(0x00);
    for &k in kinds.iter().rev() {
        if k == 3 {
            out.push(0x00);
        }
    }
    out
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn depth_limit_is_enforced(kinds in vec(0u8..4, 0..70), max_depth in 0usize..70) {
        let b = nest(&kinds);
        let limits = DecodeLimits { max_depth, ..DecodeLimits::DEFAULT };
        let got = decode_with(&b, &limits);
        // Requests above SAFE_MAX.max_depth (64) are clamped.
        let effective = max_depth.min(DecodeLimits::SAFE_MAX.max_depth);
        if kinds.len() <= effective {
            prop_assert!(got.is_ok(), "{:?}", got);
            prop_assert_eq!(&encode(&got.unwrap()), &b);
        } else {
            prop_assert_eq!(got, Err(CodecError::DepthExceeded { limit: effective }));
        }
        // The default limit.
        let got = decode(&b);
        if kinds.len() <= DecodeLimits::DEFAULT.max_depth {
            prop_assert!(got.is_ok());
        } else {
            prop_assert_eq!(got, Err(CodecError::DepthExceeded { limit: 16 }));
        }
    }

    /// A string/array/map whose declared length exceeds what is present is `Truncated`
    /// (if within the limits) or `LimitExceeded` (if not) — immediately, for any declared
    /// length up to 2^64-1, and under any (clamped) limits.
    #[test]
    fn declared_lengths_beyond_the_input_fail_fast(
        major in 2u8..=5,
        len in prop_oneof![
            2 => any::<u64>(),
            2 => select(u64_boundaries()),
            1 => Just(1u64 << 63),
            1 => select(vec![1u64 << 20, (1 << 20) + 1, 16 << 20, (16 << 20) + 1, 256 << 20, (256 << 20) + 1]),
            2 => 0u64..64,
        ],
        body in vec(any::<u8>(), 0..16),
        limits in limits_strategy(),
    ) {
        // Make the declared length exceed the body (for maps: 2 bytes per entry would).
        let len = len.max(body.len() as u64 + 1);
        let mut b = short_head(major, len);
        b.extend_from_slice(&body);
        let c = limits.clamped();
        let (what, limit) = if major <= 3 { ("string", c.max_string) } else { ("container", c.max_items) };
        let want = if b.len() > c.max_input {
            CodecError::LimitExceeded { what: "input", limit: c.max_input }
        } else if major >= 4 && c.max_depth == 0 {
            CodecError::DepthExceeded { limit: 0 }
        } else if usize::try_from(len).map_or(true, |n| n > limit) {
            CodecError::LimitExceeded { what, limit }
        } else {
            CodecError::Truncated { offset: b.len() }
        };
        prop_assert_eq!(decode_with(&b, &limits), Err(want));
    }

    /// Arrays of k 2-byte items declared as n > k items: passes the "one byte per item"
    /// pre-check when 2k >= n, fails once the items run out.
    #[test]
    fn arrays_missing_items_are_truncated(n in 1usize..200, k_frac in 0.0f64..1.0) {
        let k = ((n as f64) * k_frac) as usize; // 0..n
        let mut b = short_head(4, n as u64);
        for _ in 0..k {
            b.extend_from_slice(&[0x18, 0x20]);
        }
        prop_assert_eq!(decode(&b), Err(CodecError::Truncated { offset: b.len() }));
    }

    /// `decode_with` succeeds exactly when the value fits the limits, and otherwise names a
    /// limit the value really violates.
    #[test]
    fn custom_limits_are_enforced(
        (v, max_depth, max_items, max_string, max_input) in value().prop_flat_map(|v| {
            let s = stats(&v);
            let n = encode(&v).len();
            (
                Just(v),
                0..=s.depth + 1,
                0..=s.items + 1,
                0..=s.string + 1,
                n - 1..=n + 1,
            )
        })
    ) {
        let s = stats(&v);
        let b = encode(&v);
        let limits = DecodeLimits { max_input, max_depth, max_items, max_string };
        let got = decode_with(&b, &limits);
        let (bad_input, bad_depth, bad_items, bad_string) = (
            b.len() > max_input,
            s.depth > max_depth,
            s.items > max_items,
            s.string > max_string,
        );
        match got {
            Ok(w) => {
                prop_assert!(!(bad_input || bad_depth || bad_items || bad_string), "{:?} {:?}", s, limits);
                prop_assert_eq!(w, v);
            }
            Err(e) if bad_input => {
                prop_assert_eq!(e, CodecError::LimitExceeded { what: "input", limit: max_input });
            }
            Err(CodecError::DepthExceeded { limit }) => {
                prop_assert!(bad_depth);
                prop_assert_eq!(limit, max_depth);
            }
            Err(CodecError::LimitExceeded { what: "container", limit }) => {
                prop_assert!(bad_items);
                prop_assert_eq!(limit, max_items);
            }
            Err(CodecError::LimitExceeded { what: "string", limit }) => {
                prop_assert!(bad_string);
                prop_assert_eq!(limit, max_string);
            }
            Err(e) => prop_assert!(false, "unexpected {:?} for {:?} under {:?}", e, s, limits),
        }
    }

    #[test]
    fn item_and_string_limits_at_the_boundary(k in 0usize..80, which in 0u8..4) {
        let limits = DecodeLimits { max_items: k, max_string: k, ..DecodeLimits::DEFAULT };
        let make = |n: usize| -> Value {
            match which {
                0 => Value::Array(vec![Value::Null; n]),
                1 => Value::map((0..n).map(|i| (Value::from(i as u64), Value::Null))).unwrap(),
                2 => Value::bytes(vec![0xab; n]),
                _ => Value::from("é".repeat(n / 2) + &"a".repeat(n % 2)),
            }
        };
        let what = if which < 2 { "container" } else { "string" };
        let ok = make(k);
        prop_assert_eq!(decode_with(&encode(&ok), &limits), Ok(ok));
        let over = make(k + 1);
        prop_assert_eq!(
            decode_with(&encode(&over), &limits),
            Err(CodecError::LimitExceeded { what, limit: k })
        );
    }

    #[test]
    fn clamped_caps_each_field_at_safe_max(limits in limits_strategy()) {
        let m = DecodeLimits::SAFE_MAX;
        let c = limits.clamped();
        prop_assert_eq!(c.max_input, limits.max_input.min(m.max_input));
        prop_assert_eq!(c.max_depth, limits.max_depth.min(m.max_depth));
        prop_assert_eq!(c.max_items, limits.max_items.min(m.max_items));
        prop_assert_eq!(c.max_string, limits.max_string.min(m.max_string));
        prop_assert_eq!(c.clamped(), c);
    }
}

#[test]
fn clamped_constants() {
    let m = DecodeLimits::SAFE_MAX;
    assert_eq!(m.clamped(), m);
    assert_eq!(DecodeLimits::DEFAULT.clamped(), DecodeLimits::DEFAULT);
    assert_eq!(DecodeLimits::default(), DecodeLimits::DEFAULT);
    let huge = DecodeLimits {
        max_input: usize::MAX,
        max_depth: usize::MAX,
        max_items: usize::MAX,
        max_string: usize::MAX,
    };
    assert_eq!(huge.clamped(), m);
    // Depth is capped at 64 even when asked for more.
    assert!(decode_with(&nest(&[0; 64]), &huge).is_ok());
    assert_eq!(
        decode_with(&nest(&[0; 65]), &huge),
        Err(CodecError::DepthExceeded { limit: 64 })
    );
    // A deep input under a huge depth request: refused at 64, no stack overflow.
    let deep = [vec![0x81u8; 100_000], vec![0]].concat();
    assert_eq!(
        decode_with(&deep, &huge),
        Err(CodecError::DepthExceeded { limit: 64 })
    );
}

#[test]
fn huge_declared_lengths_fail_fast_without_allocating() {
    let huge = DecodeLimits {
        max_input: usize::MAX,
        max_depth: usize::MAX,
        max_items: usize::MAX,
        max_string: usize::MAX,
    };
    let safe = DecodeLimits::SAFE_MAX;
    let t0 = std::time::Instant::now();
    for _ in 0..1000 {
        for ib in [0x5bu8, 0x7b, 0x9b, 0xbb] {
            let b = [&[ib][..], &(1u64 << 63).to_be_bytes()].concat();
            let (what, def, max) = if ib < 0x80 {
                ("string", DecodeLimits::DEFAULT.max_string, safe.max_string)
            } else {
                ("container", DecodeLimits::DEFAULT.max_items, safe.max_items)
            };
            assert_eq!(
                decode(&b),
                Err(CodecError::LimitExceeded { what, limit: def })
            );
            assert_eq!(
                decode_with(&b, &huge),
                Err(CodecError::LimitExceeded { what, limit: max })
            );
        }
        // Right at the (clamped) limits the declared length passes the limit check and is
        // refused against the bytes present, before any allocation.
        for b in [
            [&[0x5a][..], &(256u32 << 20).to_be_bytes(), b"x"].concat(),
            [&[0x7a][..], &(256u32 << 20).to_be_bytes(), b"x"].concat(),
            [&[0x9a][..], &(1u32 << 20).to_be_bytes(), &[0]].concat(),
            [&[0xba][..], &(1u32 << 20).to_be_bytes(), &[0, 0, 0]].concat(),
        ] {
            assert_eq!(
                decode_with(&b, &huge),
                Err(CodecError::Truncated { offset: b.len() })
            );
        }
        // Within the default limits too.
        let b = [&[0x5a][..], &(16u32 << 20).to_be_bytes()].concat();
        assert_eq!(decode(&b), Err(CodecError::Truncated { offset: 5 }));
        let b = [&[0x99][..], &4096u16.to_be_bytes()].concat();
        assert_eq!(decode(&b), Err(CodecError::Truncated { offset: 3 }));
    }
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn large_lengths_at_head_boundaries_round_trip() {
    for n in [23usize, 24, 255, 256, 65_535, 65_536] {
        let b = Value::bytes(vec![7u8; n]);
        assert_eq!(decode(&encode(&b)), Ok(b.clone()), "bytes {n}");
        let t = Value::from("a".repeat(n));
        assert_eq!(decode(&encode(&t)), Ok(t.clone()), "text {n}");
        let a = Value::Array(vec![Value::from(0u64); n]);
        let m = Value::Map({
            let mut m = Map::new();
            for i in 0..n {
                m.insert(Value::from(i as u64), Value::Null).unwrap();
            }
            m
        });
        for v in [a, m] {
            let e = encode(&v);
            assert_eq!(
                decode_with(&e, &DecodeLimits::SAFE_MAX),
                Ok(v.clone()),
                "{n}"
            );
            if n > DecodeLimits::DEFAULT.max_items {
                assert_eq!(
                    decode(&e),
                    Err(CodecError::LimitExceeded {
                        what: "container",
                        limit: 4096
                    })
                );
            }
        }
    }
}
