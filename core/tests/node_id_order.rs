//! Node names compare and order exactly as their text does, whether they are stored
//! inline or shared: member tables and sorted views depend on it, and short names take
//! a faster path than long ones.
#![cfg(not(target_arch = "wasm32"))]

use gossip_core::NodeId;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Names around the inline limit (14 bytes), ASCII and multi-byte.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex("[a-c0-9.-]{1,20}").expect("valid regex"),
        proptest::string::string_regex("[a-cä€~ ]{1,8}").expect("valid regex"),
    ]
}

/// Two names: unrelated, one a prefix of the other, or the same.
fn pair() -> impl Strategy<Value = (String, String)> {
    (text(), text(), 0..3u8, any::<prop::sample::Index>()).prop_map(|(a, b, how, cut)| match how {
        0 => (a, b),
        1 => {
            let ends: Vec<usize> = a.char_indices().map(|(i, _)| i).skip(1).collect();
            let prefix = ends
                .get(cut.index(ends.len().max(1)))
                .map_or(&a[..], |&end| &a[..end]);
            (prefix.to_owned(), a)
        }
        _ => (a.clone(), a),
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3_000,
        rng_seed: RngSeed::Fixed(20_261_122),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn names_compare_as_their_text((a, b) in pair()) {
        let (x, y) = (NodeId::new(&a).unwrap(), NodeId::new(&b).unwrap());
        prop_assert_eq!(x.cmp(&y), a.cmp(&b), "{:?} vs {:?}", a, b);
        prop_assert_eq!(y.cmp(&x), b.cmp(&a), "{:?} vs {:?}", b, a);
        prop_assert_eq!(x == y, a == b, "{:?} vs {:?}", a, b);
    }
}
