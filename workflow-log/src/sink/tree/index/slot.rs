//! An entry of the index in its two widths, behind one trait so that the assembly is written
//! once.

/// The four fields of an entry, whatever its width. `a` and `b` hold the record's id and its
/// parent's, then places in the index; `start` the start tick, then the first child's place.
pub(super) trait Slot: Copy {
    fn new(id: u64, parent: u64, start: u64, loc: u64) -> Option<Self>;
    fn a(&self) -> u64;
    fn set_a(&mut self, v: u32);
    fn b(&self) -> u64;
    fn set_b(&mut self, v: u32);
    fn start(&self) -> u64;
    fn set_start(&mut self, v: u64);
    fn loc(&self) -> u64;
    fn loc_mut(&mut self) -> &mut u64;
}

/// An entry whose ids fit in 32 bits.
#[derive(Clone, Copy, Debug)]
pub(super) struct Narrow {
    pub(super) a: u32,
    pub(super) b: u32,
    pub(super) start: u64,
    pub(super) loc: u64,
}

/// An entry of any ids.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wide {
    pub(super) a: u64,
    pub(super) b: u64,
    pub(super) start: u64,
    pub(super) loc: u64,
}

impl Slot for Narrow {
    fn new(id: u64, parent: u64, start: u64, loc: u64) -> Option<Self> {
        Some(Narrow {
            a: u32::try_from(id).ok()?,
            b: u32::try_from(parent).ok()?,
            start,
            loc,
        })
    }
    fn a(&self) -> u64 {
        self.a.into()
    }
    fn set_a(&mut self, v: u32) {
        self.a = v;
    }
    fn b(&self) -> u64 {
        self.b.into()
    }
    fn set_b(&mut self, v: u32) {
        self.b = v;
    }
    fn start(&self) -> u64 {
        self.start
    }
    fn set_start(&mut self, v: u64) {
        self.start = v;
    }
    fn loc(&self) -> u64 {
        self.loc
    }
    fn loc_mut(&mut self) -> &mut u64 {
        &mut self.loc
    }
}

impl Slot for Wide {
    fn new(id: u64, parent: u64, start: u64, loc: u64) -> Option<Self> {
        Some(Wide {
            a: id,
            b: parent,
            start,
            loc,
        })
    }
    fn a(&self) -> u64 {
        self.a
    }
    fn set_a(&mut self, v: u32) {
        self.a = v.into();
    }
    fn b(&self) -> u64 {
        self.b
    }
    fn set_b(&mut self, v: u32) {
        self.b = v.into();
    }
    fn start(&self) -> u64 {
        self.start
    }
    fn set_start(&mut self, v: u64) {
        self.start = v;
    }
    fn loc(&self) -> u64 {
        self.loc
    }
    fn loc_mut(&mut self) -> &mut u64 {
        &mut self.loc
    }
}
