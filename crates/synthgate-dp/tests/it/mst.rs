//! MST on planted data: the tree finds the dependent pair, the spends add up to the budget,
//! and the model reproduces what it measured.

use synthgate_core::Seed;
use synthgate_dp::mst::{ColumnCells, MstConfig, fit};

use crate::seeded;

/// Three columns: b copies a (4 categories), c is an ordered column of 40 bins independent of
/// both. 20,000 rows.
fn planted() -> (Vec<Vec<u32>>, Vec<ColumnCells>) {
    let rows = 20_000;
    let a: Vec<u32> = (0..rows).map(|i| ((i * 7919) % 4) as u32).collect();
    let b = a.clone();
    let c: Vec<u32> = (0..rows)
        .map(|i| ((i * 104_729 / 13) % 40) as u32)
        .collect();
    let columns = vec![
        ColumnCells {
            cells: 4,
            ordered: 0..0,
        },
        ColumnCells {
            cells: 4,
            ordered: 0..0,
        },
        ColumnCells {
            cells: 41,
            ordered: 0..40,
        },
    ];
    (vec![a, b, c], columns)
}

#[test]
fn the_tree_joins_the_dependent_pair_and_the_spends_add_up() {
    let (data, columns) = planted();
    let rho = 0.05;
    let release = fit(&data, &columns, &MstConfig::published(rho), &mut seeded(1)).expect("fit");
    let pairs: Vec<&Vec<usize>> = release
        .measurements
        .iter()
        .map(|m| &m.columns)
        .filter(|columns| columns.len() == 2)
        .collect();
    assert!(pairs.contains(&&vec![0, 1]), "pairs {pairs:?}");
    assert_eq!(pairs.len(), 2);
    let spent: f64 = release.spends.iter().map(|s| s.rho).sum();
    assert!(spent <= rho * (1.0 + 1e-12), "spent {spent} of {rho}");
    // Rounding only ever lowers the spend, by little.
    assert!(spent > rho * 0.99, "spent {spent} of {rho}");
    assert_eq!(release.spends.len(), 3 + 2 + 2);
    assert!(
        (release.total - 20_000.0).abs() < 500.0,
        "total {}",
        release.total
    );

    // Sampling reproduces the copy relation and c's spread.
    let mut rng = Seed(3).stream("sample", 0);
    let rows = release.sample(10_000, &mut rng).expect("sample");
    let same = rows[0].iter().zip(&rows[1]).filter(|(x, y)| x == y).count();
    assert!(same as f64 > 0.95 * 10_000.0, "{same} rows keep b = a");
    let distinct_c: std::collections::HashSet<u32> = rows[2].iter().copied().collect();
    assert!(
        distinct_c.len() >= 30,
        "c takes {} of its 40 bins",
        distinct_c.len()
    );
    // The same seed draws the same rows: sampling is post-processing, deterministic.
    let again = release
        .sample(10_000, &mut Seed(3).stream("sample", 0))
        .expect("sample");
    assert_eq!(rows, again);
}

/// The noise is the release's: two fits with different noise differ, and the model holds no
/// exact count of the data (every measured count carries noise).
#[test]
fn two_fits_draw_different_noise() {
    let (data, columns) = planted();
    let first = fit(&data, &columns, &MstConfig::published(0.05), &mut seeded(1)).expect("fit");
    let second = fit(&data, &columns, &MstConfig::published(0.05), &mut seeded(2)).expect("fit");
    assert_ne!(first.measurements, second.measurements);
    let true_a = [5000.0; 4];
    let measured_a = &first.measurements[0].counts;
    assert!(measured_a.iter().zip(true_a).any(|(m, t)| *m != t));
}

/// Synthgate's default (pairs beyond the tree, AIM-style) measures every pair of three
/// columns and spends exactly its budget. With c = min(a, b) for independent a and b, a tree
/// joins a and b only through c and makes them look dependent; the extra pair measures their
/// independence and the samples keep it, where published MST's do not.
#[test]
fn extra_pairs_keep_what_no_tree_can() {
    let rows = 40_000;
    let a: Vec<u32> = (0..rows).map(|i| ((i * 7919) % 4) as u32).collect();
    let b: Vec<u32> = (0..rows).map(|i| ((i / 4) % 4) as u32).collect();
    let c: Vec<u32> = a.iter().zip(&b).map(|(x, y)| *x.min(y)).collect();
    let data = [a, b, c];
    let columns = vec![
        ColumnCells {
            cells: 4,
            ordered: 0..0
        };
        3
    ];
    let rho = 1.0;
    let distance_from_independent = |config: MstConfig, seed: u64| {
        let release = fit(&data, &columns, &config, &mut seeded(seed)).expect("fit");
        let spent: f64 = release.spends.iter().map(|s| s.rho).sum();
        assert!(
            spent <= rho * (1.0 + 1e-12) && spent > 0.99 * rho,
            "spent {spent}: {:?}",
            release.spends
        );
        let pairs = release
            .measurements
            .iter()
            .filter(|m| m.columns.len() == 2)
            .count();
        let rows = release
            .sample(20_000, &mut Seed(1).stream("sample", 0))
            .expect("sample");
        let mut table = [0.0f64; 16];
        for i in 0..20_000 {
            table[(rows[0][i] * 4 + rows[1][i]) as usize] += 1.0 / 20_000.0;
        }
        let tv: f64 = table.iter().map(|p| (p - 1.0 / 16.0).abs()).sum::<f64>() / 2.0;
        (pairs, tv)
    };
    let (pairs, tv) = distance_from_independent(MstConfig::new(rho), 5);
    assert_eq!(pairs, 3);
    assert!(
        tv < 0.03,
        "with the extra pair, (a, b) is {tv} from independent"
    );
    let (pairs, tv) = distance_from_independent(MstConfig::published(rho), 5);
    assert_eq!(pairs, 2);
    assert!(
        tv > 0.06,
        "published MST's (a, b) is only {tv} from independent"
    );
}
