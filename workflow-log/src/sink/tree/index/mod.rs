//! The shape of a run's tree, from one small entry per record: which records are kept, where
//! each one sits, and its children in the order the document lists them. An entry knows its
//! record only by a location (an index into a vector, or a byte offset into a journal), so the
//! same assembly serves records in memory and records read back from a file.
//!
//! An entry is 24 bytes while every id fits in 32 bits (ids are handed out from one counter
//! per process, so a run's almost always do), else 32. Its fields are reused as the assembly
//! goes on, so that memory stays at that plus 4 bytes a record while it runs: no hash map, two
//! in-place sorts, and every walk over the tree is a loop with a stack of its own.

use crate::record::{Kind, Status};
use crate::util::IdMap;

mod slot;

use slot::{Narrow, Slot, Wide};

/// Bits of an entry's location: up to 256 TiB of journal, or as many records.
const LOC_BITS: u32 = 48;
const LOC_MASK: u64 = (1 << LOC_BITS) - 1;
/// Locations from here on are records kept in memory (at the location less this), the ones
/// below byte offsets in a journal: `finish` reads records from both.
pub(crate) const IN_MEMORY: u64 = 1 << (LOC_BITS - 1);
/// The kind's group, in two bits.
const KIND_SHIFT: u32 = LOC_BITS;
/// An open notice (status `incomplete`): a closed line of the same id wins over it.
const INCOMPLETE: u64 = 1 << (LOC_BITS + 2);
/// An event without an id: never merged with another record.
const NO_ID: u64 = 1 << (LOC_BITS + 3);
/// A duplicate or a superseded open notice, left out.
const DROPPED: u64 = 1 << (LOC_BITS + 4);
/// The walk that breaks cycles: on the path now, or known to reach the root.
const ON_PATH: u64 = 1 << (LOC_BITS + 5);
const REACHES_ROOT: u64 = 1 << (LOC_BITS + 6);

/// No node: the end of a list of children, or the parent of a record at the root.
pub(crate) const NONE: u32 = u32::MAX;

/// The group a kind's records are listed in: `iterations`, `interactions`, `actions`, `events`.
pub(crate) fn group(kind: Kind) -> usize {
    match kind {
        Kind::Iteration => 0,
        Kind::Interaction => 1,
        Kind::Action => 2,
        Kind::Event => 3,
    }
}

fn kind_of(loc: u64) -> Kind {
    match (loc >> KIND_SHIFT) & 3 {
        0 => Kind::Iteration,
        1 => Kind::Interaction,
        2 => Kind::Action,
        _ => Kind::Event,
    }
}

fn has<S: Slot>(e: &S, flag: u64) -> bool {
    e.loc() & flag != 0
}

fn location<S: Slot>(e: &S) -> u64 {
    e.loc() & LOC_MASK
}

/// The entries of a run's records, in the order they arrived: narrow until an id needs more
/// than 32 bits.
#[derive(Debug)]
pub(crate) struct Entries(Slots);

#[derive(Debug)]
enum Slots {
    Narrow(Vec<Narrow>),
    Wide(Vec<Wide>),
}

impl Default for Entries {
    fn default() -> Self {
        Entries(Slots::Narrow(Vec::new()))
    }
}

impl Entries {
    /// The most records one index holds.
    pub(crate) const MAX: usize = (u32::MAX - 1) as usize;

    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            Slots::Narrow(v) => v.len(),
            Slots::Wide(v) => v.len(),
        }
    }

    /// Adds a record and returns its place here, or `None` when its location doesn't fit or
    /// [`Entries::MAX`] records are in already.
    pub(crate) fn push(&mut self, r: &NewEntry) -> Option<usize> {
        let len = self.len();
        if len >= Self::MAX {
            return None;
        }
        let loc = r.loc()?;
        if let (Slots::Narrow(v), Some(e)) =
            (&mut self.0, Narrow::new(r.id, r.parent, r.start, loc))
        {
            v.push(e);
        } else {
            self.widen()?.push(Wide::new(r.id, r.parent, r.start, loc)?);
        }
        Some(len)
    }

    /// Puts a record in place of the one at `place` (an open notice whose record closed).
    pub(crate) fn replace(&mut self, place: usize, r: &NewEntry) -> Option<()> {
        let loc = r.loc()?;
        if let (Slots::Narrow(v), Some(e)) =
            (&mut self.0, Narrow::new(r.id, r.parent, r.start, loc))
        {
            *v.get_mut(place)? = e;
        } else {
            *self.widen()?.get_mut(place)? = Wide::new(r.id, r.parent, r.start, loc)?;
        }
        Some(())
    }

    /// The wide entries, made from the narrow ones if need be.
    fn widen(&mut self) -> Option<&mut Vec<Wide>> {
        if let Slots::Narrow(v) = &self.0 {
            let wide = v
                .iter()
                .map(|e| Wide {
                    a: e.a.into(),
                    b: e.b.into(),
                    start: e.start,
                    loc: e.loc,
                })
                .collect();
            self.0 = Slots::Wide(wide);
        }
        match &mut self.0 {
            Slots::Wide(v) => Some(v),
            Slots::Narrow(_) => None,
        }
    }
}

/// Open notices kept track of at most, to put their record's close in their place.
const OPEN_NOTICES: usize = 4096;

/// Entries made as a run's lines arrive, where a record's close takes the place of its open
/// notice (an iteration's or interaction's), as the assembly would keep the close and drop the
/// notice: one entry, not two, for each such record.
#[derive(Debug, Default)]
pub(crate) struct Placer {
    entries: Entries,
    /// The open notices whose close hasn't come yet, by id, and their place in `entries`.
    open: IdMap<usize>,
}

impl Placer {
    /// Adds the entry of a line that arrived; `None` when the entries are full (see
    /// [`Entries::push`]).
    pub(crate) fn place(&mut self, e: &NewEntry) -> Option<()> {
        // Id 0 is no record's (an event without id, or a corrupt line): never in place of one.
        if e.status == Status::Incomplete && e.id != 0 {
            let place = self.entries.push(e)?;
            if self.open.len() < OPEN_NOTICES {
                self.open.insert(e.id, place);
            }
            Some(())
        } else if let Some(place) = self.open.remove(&e.id).filter(|_| e.id != 0) {
            self.entries.replace(place, e)
        } else {
            self.entries.push(e).map(drop)
        }
    }

    pub(crate) fn into_entries(self) -> Entries {
        self.entries
    }
}

/// What an entry is made of: a record's id, its parent's, its kind, status and start tick, and
/// where it is (a place in a vector, or a byte offset in a journal: 48 bits at most).
#[derive(Debug)]
pub(crate) struct NewEntry {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) kind: Kind,
    pub(crate) status: Status,
    pub(crate) start: u64,
    pub(crate) location: u64,
}

impl NewEntry {
    /// The entry's location, kind and flags, or `None` when the location doesn't fit.
    fn loc(&self) -> Option<u64> {
        if self.location > LOC_MASK {
            return None;
        }
        let mut loc = self.location | ((group(self.kind) as u64) << KIND_SHIFT);
        if self.status == Status::Incomplete {
            loc |= INCOMPLETE;
        }
        if self.kind == Kind::Event && self.id == 0 {
            loc |= NO_ID;
        }
        Some(loc)
    }
}

/// The assembled tree: kept records in start order (a node is its place in that order), each
/// with its children grouped by kind, each group in start order.
#[derive(Debug)]
pub(crate) struct Index {
    entries: Entries,
    /// The first child of the workflow itself.
    root_first: u32,
}

impl Index {
    /// Nests `entries` by parent id. A record whose id came before is kept once: the first that
    /// closed, else the first open notice. A record whose parent is unknown, is itself, is an
    /// event, or that sits in a cycle goes under the workflow. Siblings are ordered by start,
    /// then id, then arrival (a location grows with arrival).
    pub(crate) fn build(mut entries: Entries) -> Index {
        let root_first = match &mut entries.0 {
            Slots::Narrow(v) => build(v),
            Slots::Wide(v) => build(v),
        };
        Index {
            entries,
            root_first,
        }
    }

    fn get(&self, node: u32) -> (u64, u64, u64) {
        match &self.entries.0 {
            Slots::Narrow(v) => {
                let e = &v[node as usize];
                (e.a.into(), e.start, e.loc)
            }
            Slots::Wide(v) => {
                let e = &v[node as usize];
                (e.a, e.start, e.loc)
            }
        }
    }

    /// The first child of `node` (`None`: the workflow), or [`NONE`].
    pub(crate) fn first_child(&self, node: Option<u32>) -> u32 {
        match node {
            None => self.root_first,
            Some(n) => self.get(n).1 as u32,
        }
    }

    /// The sibling listed after `node`, or [`NONE`].
    pub(crate) fn next_sibling(&self, node: u32) -> u32 {
        self.get(node).0 as u32
    }

    pub(crate) fn kind(&self, node: u32) -> Kind {
        kind_of(self.get(node).2)
    }

    /// Where `node`'s record is: what its entry was made with.
    pub(crate) fn location(&self, node: u32) -> u64 {
        self.get(node).2 & LOC_MASK
    }
}

/// The assembly, in place; returns the workflow's first child.
fn build<S: Slot>(entries: &mut Vec<S>) -> u32 {
    // By id, each id's lines in the order they arrived.
    entries.sort_unstable_by_key(|e| (e.a(), location(e)));
    drop_repeats(entries);
    entries.retain(|e| !has(e, DROPPED));
    entries.shrink_to_fit();
    find_parents(entries);
    // Start order; ties by id, then arrival: the place in id order, now in `a`.
    entries.sort_unstable_by_key(|e| (e.start(), e.a()));
    to_start_order_places(entries);
    break_cycles(entries);
    link_children(entries)
}

/// Marks every entry but the one kept for its id (entries sorted by id, then arrival).
fn drop_repeats<S: Slot>(entries: &mut [S]) {
    let mut i = 0;
    while i < entries.len() {
        let id = entries[i].a();
        let mut end = i;
        while end < entries.len() && entries[end].a() == id {
            end += 1;
        }
        let same = &mut entries[i..end];
        let kept = same
            .iter()
            .position(|e| !has(e, NO_ID) && !has(e, INCOMPLETE))
            .or_else(|| same.iter().position(|e| !has(e, NO_ID)));
        for (j, e) in same.iter_mut().enumerate() {
            if !has(e, NO_ID) && Some(j) != kept {
                *e.loc_mut() |= DROPPED;
            }
        }
        i = end;
    }
}

/// Replaces each parent id (in `b`) by the parent's place in id order, [`NONE`] for the
/// workflow; then each id (in `a`) by the entry's own place. Entries are sorted by id.
fn find_parents<S: Slot>(entries: &mut [S]) {
    for i in 0..entries.len() {
        let (id, parent) = (entries[i].a(), entries[i].b());
        let place = if parent == 0 || parent == id {
            None
        } else {
            find(entries, parent, i).filter(|&p| kind_of(entries[p].loc()) != Kind::Event)
        };
        entries[i].set_b(place.map_or(NONE, |p| p as u32));
    }
    // Only now: the search above reads the ids.
    for (i, e) in entries.iter_mut().enumerate() {
        e.set_a(i as u32);
    }
}

/// The place of the record `id` in `entries` sorted by id, searched outwards from `near`: a
/// parent's id is usually close to its child's, so this costs a few probes where a binary
/// search over the whole index would miss the cache at each step. `id` is not 0, so it is
/// never an event without id.
fn find<S: Slot>(entries: &[S], id: u64, near: usize) -> Option<usize> {
    let (mut lo, mut hi);
    let mut step = 1;
    if entries[near].a() < id {
        // In `near + 1..`: double the step until an entry is not below `id`.
        lo = near + 1;
        loop {
            let probe = lo + step - 1;
            if probe >= entries.len() {
                hi = entries.len();
                break;
            }
            if entries[probe].a() >= id {
                hi = probe + 1;
                break;
            }
            lo = probe + 1;
            step *= 2;
        }
    } else {
        // In `..=near`: double the step until an entry is below `id`.
        hi = near + 1;
        loop {
            if hi <= step {
                lo = 0;
                break;
            }
            let probe = hi - 1 - step;
            if entries[probe].a() < id {
                lo = probe + 1;
                break;
            }
            hi = probe + 1;
            step *= 2;
        }
    }
    let range = &entries[lo..hi];
    let j = range.partition_point(|e| e.a() < id);
    (j < range.len() && range[j].a() == id).then_some(lo + j)
}

/// After the start-order sort: parent places in id order become places in start order.
fn to_start_order_places<S: Slot>(entries: &mut [S]) {
    let mut place = vec![0u32; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        place[e.a() as usize] = i as u32;
    }
    for e in entries.iter_mut() {
        let parent = e.b() as u32;
        if parent != NONE {
            e.set_b(place[parent as usize]);
        }
    }
}

/// A record that can't reach the workflow by its parents (only a corrupt journal makes a
/// cycle) goes under it. Walked in start order: the record where a walk meets its own path
/// is the one cut.
fn break_cycles<S: Slot>(entries: &mut [S]) {
    let mut path = Vec::new();
    for start in 0..entries.len() {
        path.clear();
        let mut i = start as u32;
        while i != NONE && !has(&entries[i as usize], ON_PATH | REACHES_ROOT) {
            *entries[i as usize].loc_mut() |= ON_PATH;
            path.push(i);
            i = entries[i as usize].b() as u32;
        }
        if i != NONE && !has(&entries[i as usize], REACHES_ROOT) {
            entries[i as usize].set_b(NONE);
        }
        for &p in &path {
            let loc = entries[p as usize].loc_mut();
            *loc = (*loc & !ON_PATH) | REACHES_ROOT;
        }
    }
}

/// Links each record to its first child (in `start`) and next sibling (in `a`), children
/// grouped by kind and each group in start order; returns the workflow's first child.
fn link_children<S: Slot>(entries: &mut [S]) -> u32 {
    for e in entries.iter_mut() {
        e.set_a(NONE);
        e.set_start(NONE.into());
    }
    let mut root_first = NONE;
    // Pushed to the front of their parent's list: last group first, each back to front.
    for g in (0..4).rev() {
        for i in (0..entries.len()).rev() {
            if group(kind_of(entries[i].loc())) != g {
                continue;
            }
            let parent = entries[i].b() as u32;
            let head = if parent == NONE {
                std::mem::replace(&mut root_first, i as u32)
            } else {
                let p = &mut entries[parent as usize];
                let head = p.start() as u32;
                p.set_start(i as u64);
                head
            };
            entries[i].set_a(head);
        }
    }
    root_first
}
