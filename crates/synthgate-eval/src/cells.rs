//! Small-cell control for counts of real rows: which cells of a partition to withhold so that
//! every published count is 0 or at least `min_cell`, and no withheld count can be recovered,
//! or even shown to be below `min_cell`, by subtracting the published cells from the total.
//!
//! A partition's cells add up to a published total (a column's bins or categories, pooled rest
//! and missing count to the source's rows; a sensitive attribute's groups to the training rows).
//! A cell with 1 to `min_cell - 1` rows is withheld (primary suppression). Zero cells are
//! published: they describe nobody. A reader then knows the withheld cells only through their
//! sum `S` (the total minus the published cells) and through what the format promises about
//! each one, its floor: a listed category or bin holds at least `min_cell` rows, any other
//! withheld cell at least 1 (zeros are published). One withheld cell alone would be `S`, so
//! [`withhold`] withholds more cells (complementary suppression: the smallest published cell
//! that completes the protection, else the one that adds most) until at least two are withheld
//! and `S - (sum of their floors) >= min_cell - 1`. Then each withheld cell's possible values,
//! from its floor up to `S` minus the other withheld cells' floors, number at least `min_cell`:
//! none is determined, and none is known to be below `min_cell`.

/// One cell of a partition of real rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Rows in the cell.
    pub count: usize,
    /// The fewest rows a reader can prove the cell holds while it is withheld: `min_cell` for a
    /// cell the format only lists when it is that large (a named category, a merged bin, a
    /// reported group), otherwise 1.
    pub floor: usize,
    /// Withheld whatever its count (a group the evaluation has already suppressed).
    pub withheld: bool,
}

impl Cell {
    /// A cell of `count` rows with floor `floor`.
    pub fn new(count: usize, floor: usize) -> Cell {
        Cell {
            count,
            floor,
            withheld: false,
        }
    }
}

/// Whether the cells marked in `withheld` are protected: none, or at least two whose sum
/// exceeds the sum of their floors by at least `min_cell - 1` (see the module docs).
pub fn protected(cells: &[Cell], withheld: &[bool], min_cell: usize) -> bool {
    let chosen: Vec<&Cell> = cells
        .iter()
        .zip(withheld)
        .filter(|(_, w)| **w)
        .map(|(c, _)| c)
        .collect();
    if chosen.is_empty() {
        return true;
    }
    let sum: usize = chosen.iter().map(|c| c.count).sum();
    let floors: usize = chosen.iter().map(|c| c.floor).sum();
    chosen.len() >= 2 && sum >= floors && sum - floors + 1 >= min_cell
}

/// Which cells to withhold (`true`): every cell with 1 to `min_cell - 1` rows or marked
/// withheld, plus complementary cells until [`protected`] holds. `None` when even withholding
/// every non-empty cell does not protect them (too few rows, or too little slack above the
/// floors); the caller then withholds more than this partition (every non-empty cell, or the
/// whole distribution).
pub fn withhold(cells: &[Cell], min_cell: usize) -> Option<Vec<bool>> {
    let mut withheld: Vec<bool> = cells
        .iter()
        .map(|c| c.withheld || (c.count > 0 && c.count < min_cell))
        .collect();
    loop {
        if protected(cells, &withheld, min_cell) {
            return Some(withheld);
        }
        let mut candidates: Vec<usize> = (0..cells.len())
            .filter(|&i| !withheld[i] && cells[i].count > 0)
            .collect();
        // Smallest first; ties in cell order, so the choice never depends on anything else.
        candidates.sort_by_key(|&i| (cells[i].count, i));
        let completes = candidates.iter().copied().find(|&i| {
            let mut trial = withheld.clone();
            trial[i] = true;
            protected(cells, &trial, min_cell)
        });
        let next = completes.or_else(|| {
            candidates.iter().copied().max_by_key(|&i| {
                (
                    cells[i].count.saturating_sub(cells[i].floor),
                    usize::MAX - i,
                )
            })
        })?;
        withheld[next] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_small_cell_takes_a_partner_and_zeros_stay_published() {
        // Missing 3 beside categories of 40, 25 and 500 and an empty pool: the 25 alone gives
        // S = 28 with floors 11, slack 17 >= 9.
        let cells = [
            Cell::new(40, 10),
            Cell::new(25, 10),
            Cell::new(500, 10),
            Cell::new(0, 1),
            Cell::new(3, 1),
        ];
        let withheld = withhold(&cells, 10).expect("protectable");
        assert_eq!(withheld, [false, true, false, false, true]);
        // A partner of exactly min_cell leaves the small cell pinned: 3 + 10 with floors 1 + 10
        // says the small cell is 1 to 3; the next one is taken instead.
        let cells = [Cell::new(10, 10), Cell::new(30, 10), Cell::new(3, 1)];
        let withheld = withhold(&cells, 10).expect("protectable");
        assert_eq!(withheld, [false, true, true]);
        // Nothing small: nothing withheld.
        let cells = [Cell::new(10, 10), Cell::new(0, 1)];
        assert_eq!(withhold(&cells, 10), Some(vec![false, false]));
        // Fewer rows than min_cell in all: no protection possible.
        assert_eq!(withhold(&[Cell::new(4, 1), Cell::new(3, 1)], 10), None);
    }
}
