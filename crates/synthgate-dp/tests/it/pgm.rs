//! Inference: with noise-free measurements the junction-tree model recovers the marginals it
//! was given, and its pair marginals match a brute-force sum over the joint distribution.

use synthgate_dp::pgm::{Measurement, cells, estimate, junction_tree};

/// A joint distribution over 3 x 2 x 4 states with every pair dependent, as counts of 10,000.
fn joint() -> (Vec<usize>, Vec<f64>) {
    let sizes = vec![3, 2, 4];
    let mut table = Vec::new();
    for a in 0..3 {
        for b in 0..2 {
            for c in 0..4 {
                let weight = 1.0
                    + (a * 2 + b * 3 + c) as f64 % 5.0
                    + if (a + c) % 2 == b { 4.0 } else { 0.0 };
                table.push(weight);
            }
        }
    }
    let total: f64 = table.iter().sum();
    (sizes, table.iter().map(|w| 10_000.0 * w / total).collect())
}

fn project(sizes: &[usize], table: &[f64], keep: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; cells(sizes, keep)];
    for (index, value) in table.iter().enumerate() {
        let digits = [index / 8, (index / 4) % 2, index % 4];
        let mut k = 0;
        for &column in keep {
            k = k * sizes[column] + digits[column];
        }
        out[k] += value;
    }
    out
}

#[test]
fn a_cycle_becomes_one_clique() {
    let sizes = vec![3, 2, 4];
    let (cliques, edges) = junction_tree(&sizes, &[vec![0, 1], vec![1, 2], vec![0, 2]]);
    assert_eq!(cliques, vec![vec![0, 1, 2]]);
    assert!(edges.is_empty());
    let (cliques, edges) = junction_tree(&sizes, &[vec![0, 1], vec![1, 2]]);
    assert_eq!(cliques.len(), 2);
    assert_eq!(edges.len(), 1);
}

#[test]
fn exact_measurements_are_recovered_and_pairs_match_brute_force() {
    let (sizes, table) = joint();
    // A chain a - b - c: the model is the chain's maximum-entropy fit.
    let measure = |keep: &[usize]| Measurement {
        columns: keep.to_vec(),
        counts: project(&sizes, &table, keep),
        sigma: vec![1.0; cells(&sizes, keep)],
    };
    let measurements = vec![
        measure(&[0]),
        measure(&[1]),
        measure(&[2]),
        measure(&[0, 1]),
        measure(&[1, 2]),
    ];
    let model = estimate(&sizes, &measurements, 10_000.0, 3000).expect("estimate");
    for m in &measurements {
        let fitted = model.marginal(&m.columns).expect("a clique holds it");
        for (f, y) in fitted.iter().zip(&m.counts) {
            assert!(
                (f * 10_000.0 - y).abs() < 1.0,
                "{:?}: {} vs {y}",
                m.columns,
                f * 10_000.0
            );
        }
    }
    // (a, c) is in no clique: the brute-force chain distribution p(a,b) p(c|b).
    let ab = project(&sizes, &table, &[0, 1]);
    let bc = project(&sizes, &table, &[1, 2]);
    let b = project(&sizes, &table, &[1]);
    let mut expected = vec![0.0; 12];
    for a in 0..3 {
        for c in 0..4 {
            for j in 0..2 {
                expected[a * 4 + c] += ab[a * 2 + j] * bc[j * 4 + c] / b[j] / 10_000.0;
            }
        }
    }
    let pairs = model.pair_marginals();
    let (_, ac) = pairs
        .iter()
        .find(|(pair, _)| *pair == (0, 2))
        .expect("pair (0, 2)");
    for (got, want) in ac.iter().zip(&expected) {
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }
    let (_, ab_model) = pairs
        .iter()
        .find(|(pair, _)| *pair == (0, 1))
        .expect("pair (0, 1)");
    for (got, want) in ab_model.iter().zip(&ab) {
        assert!((got * 10_000.0 - want).abs() < 1.0);
    }
}
