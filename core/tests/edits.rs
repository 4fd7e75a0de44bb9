//! `ListEdits`: a view learns from which message to re-render, or that it must compare all.

use helpwire_core::engine::edits::{ListEdits, Since};

#[test]
fn a_reader_up_to_date_sees_no_change() {
    let mut edits = ListEdits::default();
    assert_eq!(edits.since(0), Since::Unchanged);
    edits.record(3);
    assert_eq!(edits.since(edits.revision()), Since::Unchanged);
}

#[test]
fn a_reader_behind_gets_the_first_index_any_later_edit_touched() {
    let mut edits = ListEdits::default();
    edits.record(40);
    let seen = edits.revision();
    edits.record(12);
    edits.record(57);
    assert_eq!(edits.since(seen), Since::From(12));
    assert_eq!(edits.since(seen + 1), Since::From(57));
}

#[test]
fn a_reader_too_far_behind_or_from_elsewhere_compares_everything() {
    let mut edits = ListEdits::default();
    for i in 0..200 {
        edits.record(i);
    }
    assert_eq!(edits.since(0), Since::Unknown);
    assert_eq!(edits.since(edits.revision() + 5), Since::Unknown);
    assert_eq!(edits.since(edits.revision() - 3), Since::From(197));
}

#[test]
fn the_last_64_edits_are_remembered_across_the_ring() {
    // The straightforward version as the oracle: every edit's index, in order.
    let mut all = Vec::new();
    let mut edits = ListEdits::default();
    let mut x: u64 = 0x2545_F491;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x % 500) as usize;
        edits.record(index);
        all.push(index);
        let now = edits.revision();
        for seen in now.saturating_sub(70)..now {
            let behind = (now - seen) as usize;
            let expected = if behind > 64 {
                Since::Unknown
            } else {
                Since::From(*all[all.len() - behind..].iter().min().unwrap())
            };
            assert_eq!(
                edits.since(seen),
                expected,
                "revision {now}, reader at {seen}"
            );
        }
    }
}
