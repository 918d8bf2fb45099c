//! The aggregate cells of a record: the key of every cell of each kind, found by hash map
//! once, when an act is applied, and the names (indicator keys, training topics) keys are made
//! of. An act's state names the cells it feeds by index, so a fold adds into dense arrays.

use std::collections::HashMap;
use std::hash::Hash;

use acta_events::catalogue::Source;

use crate::compact::{CellIndex, IndicatorIndex, PlanIndex, dense_index};

/// Every cell of a record, by kind.
#[derive(Debug, Default)]
pub(crate) struct Cells {
    pub(crate) funding: CellTable<FundingKey>,
    pub(crate) indicators: CellTable<IndicatorCellKey>,
    pub(crate) years: CellTable<YearCellKey>,
    pub(crate) topics: CellTable<TopicCellKey>,
}

impl Cells {
    pub(crate) fn counts(&self) -> CellCounts {
        CellCounts {
            funding: self.funding.keys.len(),
            indicators: self.indicators.keys.len(),
            years: self.years.keys.len(),
            topics: self.topics.keys.len(),
        }
    }
}

/// The cells of one plan, by kind, in the order they were made.
#[derive(Debug, Default)]
pub(crate) struct PlanCells {
    pub(crate) funding: Vec<CellIndex>,
    pub(crate) indicators: Vec<CellIndex>,
    pub(crate) years: Vec<CellIndex>,
    pub(crate) topics: Vec<CellIndex>,
}

/// The key of a cell of one kind: which plan it is of, and where cells of its kind are kept.
pub(crate) trait CellKey: Copy + Eq + Hash {
    fn plan(&self) -> PlanIndex;
    fn table(cells: &mut Cells) -> &mut CellTable<Self>;
    fn of_plan(cells: &mut PlanCells) -> &mut Vec<CellIndex>;
}

/// Key of a funding cell: everything funding sums per (plan, fiscal year, source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FundingKey {
    pub(crate) plan: PlanIndex,
    pub(crate) fiscal_year: i16,
    pub(crate) source: Source,
}

/// Key of an indicator cell: actuals per (plan, indicator, year of `occurred_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct IndicatorCellKey {
    pub(crate) plan: PlanIndex,
    pub(crate) indicator: IndicatorIndex,
    pub(crate) year: i16,
}

/// Key of a year cell: the yearly summary's figures per (plan, year of `occurred_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct YearCellKey {
    pub(crate) plan: PlanIndex,
    pub(crate) year: i16,
}

/// Key of a training-topic cell: sessions and participants per (plan, year, topic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TopicCellKey {
    pub(crate) plan: PlanIndex,
    pub(crate) year: i16,
    pub(crate) topic: u32,
}

/// Each kind of key is kept in the field of its kind, in [`Cells`] and in [`PlanCells`].
macro_rules! cell_key {
    ($key:ty, $kind:ident) => {
        impl CellKey for $key {
            fn plan(&self) -> PlanIndex {
                self.plan
            }

            fn table(cells: &mut Cells) -> &mut CellTable<Self> {
                &mut cells.$kind
            }

            fn of_plan(cells: &mut PlanCells) -> &mut Vec<CellIndex> {
                &mut cells.$kind
            }
        }
    };
}

cell_key!(FundingKey, funding);
cell_key!(IndicatorCellKey, indicators);
cell_key!(YearCellKey, years);
cell_key!(TopicCellKey, topics);

/// How many cells of each kind a record has: a fold sizes its arrays once.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CellCounts {
    pub(crate) funding: usize,
    pub(crate) indicators: usize,
    pub(crate) years: usize,
    pub(crate) topics: usize,
}

/// Hashing for the keys of cell tables: a few small integers each (dense indices, years,
/// sources), for which a multiply-and-fold hash seeded per process is enough, and several
/// times cheaper than the default SipHash. Keys that clients choose (event ids, plan keys,
/// names) keep the default hashing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellHashing {
    seed: u64,
}

impl Default for CellHashing {
    fn default() -> Self {
        use std::hash::BuildHasher;
        CellHashing {
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1,
        }
    }
}

impl std::hash::BuildHasher for CellHashing {
    type Hasher = CellHasher;

    fn build_hasher(&self) -> CellHasher {
        CellHasher(self.seed)
    }
}

pub(crate) struct CellHasher(u64);

impl CellHasher {
    fn mix(&mut self, word: u64) {
        const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
        let product = u128::from(self.0 ^ word) * u128::from(MULTIPLIER);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl std::hash::Hasher for CellHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.mix(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.mix(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.mix(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.mix(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.mix(value as u64);
    }

    fn finish(&self) -> u64 {
        // One more round, so that the last word is spread over every bit.
        let mut last = CellHasher(self.0);
        last.mix(0);
        last.0
    }
}

/// Cells of one kind: the key of each, and the index of each key.
#[derive(Debug)]
pub(crate) struct CellTable<K> {
    pub(crate) keys: Vec<K>,
    index: HashMap<K, CellIndex, CellHashing>,
}

impl<K> Default for CellTable<K> {
    fn default() -> Self {
        CellTable {
            keys: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<K: Copy + Eq + Hash> CellTable<K> {
    /// The cell of `key`, and whether it was created just now.
    #[inline]
    pub(crate) fn intern(&mut self, key: K) -> (CellIndex, bool) {
        if let Some(&cell) = self.index.get(&key) {
            return (cell, false);
        }
        let cell = dense_index(self.keys.len());
        self.keys.push(key);
        self.index.insert(key, cell);
        (cell, true)
    }

    pub(crate) fn find(&self, key: &K) -> Option<CellIndex> {
        self.index.get(key).copied()
    }

    pub(crate) fn key(&self, cell: CellIndex) -> K {
        self.keys[cell as usize]
    }
}

/// Strings interned to dense indices (indicator keys, training topics).
#[derive(Debug, Default)]
pub(crate) struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.index.get(name) {
            return index;
        }
        let index = dense_index(self.names.len());
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), index);
        index
    }

    pub(crate) fn name(&self, index: u32) -> &str {
        &self.names[index as usize]
    }
}
