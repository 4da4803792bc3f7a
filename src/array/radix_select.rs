//! Exact quantiles of lanes that span several blocks, without making a lane
//! whole: radix selection over the blocks as they are. The first pass
//! counts each lane's top 16 key bits per block; the counts name the bucket
//! holding each wanted sorted position, and each later pass counts the next
//! 16 bits inside those buckets only, until the buckets' keys fit the sort
//! budget together, when a last pass collects them (exactly as many per
//! block as the counts said), or the whole key is known. Each pass reads
//! every block once, in memory order (a resident array in place), so a
//! row-major array's columns are never copied out: most data takes two
//! passes, and an f64 lane at most five.

use std::sync::Arc;

use crate::array::creation::computed_block;
use crate::array::sort::sort_budget;
use crate::array::Array;
use crate::chunks::{AxisChunks, ChunkSpec, Chunks};
use crate::element::{DType, Element};
use crate::error::Result;
use crate::exec::eval::order::{wanted_positions, Lanes, QuantileOut};
use crate::exec::eval::radix::{from_key, key_bits};
use crate::expr::{BlockMap, BlockOp, Kernel, Node, Op, RadixPass};

/// Lanes shorter than this are made whole (a pass's counts would outweigh
/// the lane).
const MIN_LANE: usize = 1 << 16;
/// At most this many (lane, wanted position) pairs a pass.
const MAX_TARGETS: usize = 64;
/// The widest counted digit.
const DIGIT_BITS: u32 = 16;
/// The most bytes of per-block counts a count pass brings back (narrower
/// digits when there are many blocks).
const COUNT_BYTES: usize = 64 << 20;

/// A wanted sorted position of a lane, narrowed to a bucket of keys.
struct Target {
    lane: usize,
    /// The position among the lane's values.
    position: usize,
    /// The position among the values in the bucket.
    rank: usize,
    /// The bucket: the top `known` bits of its keys.
    prefix: u64,
    /// How many values the bucket holds in each block.
    per_block: Vec<usize>,
}

/// A count pass's per-block counts, shaped (outer axes, blocks, inner
/// axes, slots a lane, digits) in C order.
struct Counts {
    counts: Vec<u32>,
    blocks: usize,
    inner: usize,
    per_lane: usize,
    digits: usize,
}

impl Counts {
    /// The counts of every digit in block `b` for `lane`'s slot `t`.
    fn block(&self, b: usize, lane: usize, t: usize) -> &[u32] {
        let (o, i) = (lane / self.inner, lane % self.inner);
        let run = ((o * self.blocks + b) * self.inner + i) * self.per_lane + t;
        &self.counts[run * self.digits..(run + 1) * self.digits]
    }

    /// The counts of every digit over all blocks, for `lane`'s slot `t`.
    fn totals(&self, lane: usize, t: usize) -> Vec<usize> {
        let mut totals = vec![0; self.digits];
        for b in 0..self.blocks {
            for (total, &c) in totals.iter_mut().zip(self.block(b, lane, t)) {
                *total += c as usize;
            }
        }
        totals
    }
}

impl<T: Element> Array<T> {
    /// True when quantiles along `axis` (`per_lane` wanted positions a
    /// lane) are selected by radix passes: long lanes, in more than one
    /// block, and few of them.
    pub(crate) fn radix_selects(&self, axis: usize, per_lane: usize) -> bool {
        let lanes: usize = (0..self.ndim())
            .filter(|&a| a != axis)
            .map(|a| self.shape()[a])
            .product();
        self.shape()[axis] >= MIN_LANE
            && self.chunks().lens(axis).len() > 1
            && lanes > 0
            && lanes * per_lane <= MAX_TARGETS
    }

    /// The quantiles `q` (as `how` says) of each lane along `axis`, of
    /// `dtype`, by radix selection: computed now.
    pub(crate) fn radix_quantiles<U: Element>(
        &self,
        axis: usize,
        how: &Lanes,
        q: &[f64],
        q_axis: bool,
        dtype: DType,
    ) -> Result<Array<U>> {
        let x = self.other_axes_whole(axis)?;
        let n = x.shape()[axis];
        let rest: Vec<usize> = (0..x.ndim())
            .filter(|&a| a != axis)
            .map(|a| x.shape()[a])
            .collect();
        let lanes: usize = rest.iter().product();
        let bits = key_bits(T::DTYPE);
        let (first, width) = x.radix_counts(axis, 0, bits, vec![0; lanes], 1)?;
        let mut out = QuantileOut::new(lanes, how, q);
        let mut valid = vec![n; lanes];
        let mut targets = Vec::new();
        for (lane, valid) in valid.iter_mut().enumerate() {
            let totals = first.totals(lane, 0);
            // NaN's key is all ones, alone in the last bucket.
            let nan = match T::DTYPE.is_float() {
                true => totals[totals.len() - 1],
                false => 0,
            };
            if nan > 0 && !how.nan || nan == n {
                out.nan(lane);
                continue;
            }
            *valid = n - nan;
            for position in wanted_positions(n - nan, how, q) {
                let mut t = Target {
                    lane,
                    position,
                    rank: position,
                    prefix: 0,
                    per_block: Vec::new(),
                };
                t.narrow(&first, 0, &totals, width);
                targets.push(t);
            }
        }
        let mut known = width;
        let mut keys: Vec<Vec<(usize, u64)>> = vec![Vec::new(); lanes];
        while !targets.is_empty() {
            if known == bits {
                for t in &targets {
                    keys[t.lane].push((t.position, t.prefix));
                }
                break;
            }
            let (slots, per_lane) = prefix_slots(&targets, lanes);
            let held: usize = slots
                .iter()
                .enumerate()
                .filter_map(|(s, &p)| slot_target(&targets, s / per_lane, p))
                .map(|t| t.per_block.iter().sum::<usize>())
                .sum();
            // Collected keys and their copy on the way back within the
            // sort budget.
            if 16 * held <= sort_budget()? {
                let mut found = x.radix_collect(axis, known, &slots, per_lane, &targets)?;
                for t in &targets {
                    let bucket = &mut found[slot_of(&slots, per_lane, t)];
                    let (_, &mut key, _) = bucket.select_nth_unstable(t.rank);
                    keys[t.lane].push((t.position, key));
                }
                break;
            }
            let (counts, width) = x.radix_counts(axis, known, bits, slots.clone(), per_lane)?;
            for t in &mut targets {
                let slot = slot_of(&slots, per_lane, t);
                let totals = counts.totals(t.lane, slot % per_lane);
                t.narrow(&counts, slot % per_lane, &totals, width);
            }
            known += width;
        }
        for (lane, lane_keys) in keys.iter_mut().enumerate() {
            if lane_keys.is_empty() {
                continue;
            }
            lane_keys.sort_unstable();
            out.lane(lane, valid[lane], |i| {
                let at = lane_keys.binary_search_by_key(&i, |k| k.0);
                from_key::<T>(lane_keys[at.expect("a selected position")].1)
            });
        }
        Ok(computed_block(
            out.finish(q_axis, rest, dtype)?,
            "quantiles by radix selection",
        ))
    }

    /// This array with every axis but `axis` in one block.
    fn other_axes_whole(&self, axis: usize) -> Result<Array<T>> {
        if (0..self.ndim()).all(|a| a == axis || self.chunks().lens(a).len() == 1) {
            return Ok(self.clone());
        }
        let spec = (0..self.ndim())
            .map(|a| match a == axis {
                true => AxisChunks::Auto,
                false => AxisChunks::Whole,
            })
            .collect();
        self.rechunk(ChunkSpec::PerAxis(spec))
    }

    /// A count pass of the digit after the top `known` of `bits` bits, as
    /// wide as [`COUNT_BYTES`] allows, among the keys matching `prefixes`
    /// (`per_lane` a lane): the per-block counts and the digit's width.
    fn radix_counts(
        &self,
        axis: usize,
        known: u32,
        bits: u32,
        prefixes: Vec<u64>,
        per_lane: usize,
    ) -> Result<(Counts, u32)> {
        let blocks = self.chunks().lens(axis).len();
        let mut width = DIGIT_BITS.min(bits - known);
        while width > 1 && (blocks * prefixes.len() * 4) << width > COUNT_BYTES {
            width -= 1;
        }
        let pass = RadixPass {
            axis,
            known,
            width,
            targets: per_lane,
            prefixes,
            collect: None,
        };
        let mut lens = self.chunks().all_lens().to_vec();
        lens[axis] = vec![1; blocks];
        lens.extend([vec![per_lane], vec![1 << width]]);
        let counts = self.radix_pass::<u32>(pass, lens).compute()?;
        let inner = self.shape()[axis + 1..].iter().product();
        let counts = Counts {
            counts: counts.iter().copied().collect(),
            blocks,
            inner,
            per_lane,
            digits: 1 << width,
        };
        Ok((counts, width))
    }

    /// A collect pass: the keys, in no order, of each of `slots` (lane by lane,
    /// `per_lane` each), whose bucket sizes per block `targets` hold.
    fn radix_collect(
        &self,
        axis: usize,
        known: u32,
        slots: &[u64],
        per_lane: usize,
        targets: &[Target],
    ) -> Result<Vec<Vec<u64>>> {
        let blocks = self.chunks().lens(axis).len();
        let bucket_of: Vec<Option<&Target>> = slots
            .iter()
            .enumerate()
            .map(|(s, &p)| slot_target(targets, s / per_lane, p))
            .collect();
        // Block by block, each slot's bucket size there.
        let held: Vec<usize> = (0..blocks)
            .flat_map(|b| {
                bucket_of
                    .iter()
                    .map(move |t| t.map_or(0, |t| t.per_block[b]))
            })
            .collect();
        // One leading element a block: no block is empty.
        let lens: Vec<usize> = held
            .chunks(slots.len())
            .map(|h| 1 + h.iter().sum::<usize>())
            .collect();
        let pass = RadixPass {
            axis,
            known,
            width: 0,
            targets: per_lane,
            prefixes: slots.to_vec(),
            collect: Some(held.clone()),
        };
        let found = self.radix_pass::<u64>(pass, vec![lens]).compute()?;
        let found = found.as_standard_layout();
        let mut found = found.as_slice().unwrap_or_default().iter().copied();
        let mut by_slot: Vec<Vec<u64>> = vec![Vec::new(); slots.len()];
        for block in held.chunks(slots.len()) {
            found.next();
            for (slot, &count) in block.iter().enumerate() {
                by_slot[slot].extend(found.by_ref().take(count));
            }
        }
        Ok(by_slot)
    }

    /// The array of one radix pass's per-block results, chunked `lens`.
    fn radix_pass<K: Element>(&self, pass: RadixPass, lens: Vec<Vec<usize>>) -> Array<K> {
        let axis = pass.axis;
        let index = match pass.collect {
            // 1-d: the lanes' axis follows the output's only axis.
            Some(_) => (0..self.ndim()).map(|a| (a == axis).then_some(0)).collect(),
            None => (0..self.ndim()).map(Some).collect(),
        };
        let kernel = Kernel::Radix(Arc::new(pass));
        let dtype = kernel.output_dtype(T::DTYPE);
        let map = BlockMap {
            f: BlockOp::Kernel(kernel),
            index: vec![index],
        };
        Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![self.node().clone()],
            Chunks::from_checked(lens),
            dtype,
        ))
    }
}

impl Target {
    /// Narrows the bucket to the digit of `width` bits holding `rank`, by
    /// the bucket's `totals` per digit, and its per-block sizes from
    /// `counts` (this target's slot `t` of its lane).
    fn narrow(&mut self, counts: &Counts, t: usize, totals: &[usize], width: u32) {
        let mut before = 0;
        for (digit, &c) in totals.iter().enumerate() {
            if self.rank < before + c {
                self.rank -= before;
                self.prefix = (self.prefix << width) | digit as u64;
                self.per_block = (0..counts.blocks)
                    .map(|b| counts.block(b, self.lane, t)[digit] as usize)
                    .collect();
                return;
            }
            before += c;
        }
    }
}

/// The distinct bucket prefixes of `targets`, `per_lane` slots a lane
/// (unused ones hold a prefix no key has), and `per_lane`.
fn prefix_slots(targets: &[Target], lanes: usize) -> (Vec<u64>, usize) {
    let mut by_lane: Vec<Vec<u64>> = vec![Vec::new(); lanes];
    for t in targets {
        if !by_lane[t.lane].contains(&t.prefix) {
            by_lane[t.lane].push(t.prefix);
        }
    }
    let per_lane = by_lane.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let mut slots = Vec::with_capacity(lanes * per_lane);
    for mut lane in by_lane {
        lane.resize(per_lane, u64::MAX);
        slots.extend(lane);
    }
    (slots, per_lane)
}

/// A target of `lane` whose bucket is `prefix`, if any.
fn slot_target(targets: &[Target], lane: usize, prefix: u64) -> Option<&Target> {
    targets
        .iter()
        .find(|t| t.lane == lane && t.prefix == prefix)
}

/// The slot of `t`'s bucket among `slots`.
fn slot_of(slots: &[u64], per_lane: usize, t: &Target) -> usize {
    let lane = &slots[t.lane * per_lane..(t.lane + 1) * per_lane];
    t.lane * per_lane
        + lane
            .iter()
            .position(|&p| p == t.prefix)
            .expect("a target's slot")
}
