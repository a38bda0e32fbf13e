//! The component's allocator: power-of-two size classes, each with a list
//! of freed blocks, carved from linear memory as it grows.
//!
//! Every call gets a fresh instance that is thrown away afterwards, so the
//! allocator never needs to give memory back or to merge neighbours; what it
//! must be is quick, because allocating and freeing took a quarter of the
//! guest's time under the C library's general-purpose allocator. A block is
//! reused only by its own class: that costs at most twice the live bytes
//! plus what other classes hold free, well inside the memory limit the host
//! sets for requests Crossplane can send. When memory cannot grow (the
//! limit), an allocation fails and Rust aborts the call, as before.
//!
//! The first [`ARENA_BYTES`] come from a static array, part of the
//! module's initial memory: growing memory costs the host two `mprotect`
//! calls per call (making the new pages accessible, and inaccessible again
//! when the slot is reused), which was a tenth of `serve`'s CPU; a call that
//! fits the arena grows nothing. Zeroed statics take no room in the file.
//!
//! WebAssembly instances here are single-threaded; nothing is shared.

#[cfg(target_arch = "wasm32")]
use core::alloc::GlobalAlloc;
use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::ptr;

const PAGE: usize = 65_536;
/// The smallest block holds the free list's link.
const MIN_BLOCK_SHIFT: u32 = 3;
/// Classes up to the whole 32-bit address space.
const CLASSES: usize = (usize::BITS - MIN_BLOCK_SHIFT) as usize;
/// Blocks start at this alignment or their size, whichever is smaller;
/// a layout asking more than this is served fresh, never from a list.
const BLOCK_ALIGN: usize = 16;
/// What a call allocates before memory grows: a scenario A call needs a
/// fraction of it, and it keeps the initial memory well under the
/// smallest memory limit the tests use (4 MiB).
const ARENA_BYTES: usize = 1024 * 1024;

#[repr(C, align(16))]
struct Arena(UnsafeCell<[u8; ARENA_BYTES]>);

// SAFETY: the component runs on one thread; the allocator hands it out.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; ARENA_BYTES]));

pub struct SizeClasses(UnsafeCell<State>);

struct State {
    free: [*mut u8; CLASSES],
    /// The unused part of what was grown: `next..end`.
    next: usize,
    end: usize,
}

// SAFETY: the component runs on one thread.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        Self(UnsafeCell::new(State { free: [ptr::null_mut(); CLASSES], next: 0, end: 0 }))
    }
}

/// The class of a layout and its block size; `None` past the address space.
fn class_of(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size().max(layout.align()).max(1 << MIN_BLOCK_SHIFT).checked_next_power_of_two()?;
    Some(((size.trailing_zeros() - MIN_BLOCK_SHIFT) as usize, size))
}

/// `memory.grow`: grows by so many pages, answers the previous size in
/// pages or `usize::MAX` when refused.
type Grow = fn(usize) -> usize;

#[cfg(target_arch = "wasm32")]
fn memory_grow(pages: usize) -> usize {
    core::arch::wasm32::memory_grow(0, pages)
}

impl State {
    /// Until the first allocation, nothing is carved: start in the arena.
    fn start_in(&mut self, arena: usize, bytes: usize) {
        if self.end == 0 {
            self.next = arena;
            self.end = arena + bytes;
        }
    }

    /// The address of a fresh block from the end of what was grown, growing
    /// memory when that is too short; 0 when memory cannot grow.
    fn carve(&mut self, size: usize, align: usize, grow: Grow) -> usize {
        let align = align.max(size.min(BLOCK_ALIGN));
        let mut start = self.next.next_multiple_of(align);
        if start.checked_add(size).is_none_or(|end| end > self.end) {
            let Some(start_after_growth) = size.checked_add(align).and_then(|bytes| self.grow(bytes, grow)) else {
                return 0;
            };
            start = start_after_growth.next_multiple_of(align);
        }
        self.next = start + size;
        start
    }

    /// Grows memory by at least `bytes`; where the usable space now starts.
    fn grow(&mut self, bytes: usize, grow: Grow) -> Option<usize> {
        let pages = bytes.div_ceil(PAGE);
        let previous = grow(pages);
        if previous == usize::MAX {
            return None;
        }
        let base = previous * PAGE;
        // Memory grown by someone else lies between: start after it.
        if base != self.end {
            self.next = base;
        }
        self.end = base + pages * PAGE;
        Some(self.next)
    }
}

#[cfg(target_arch = "wasm32")]
unsafe impl GlobalAlloc for SizeClasses {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((class, size)) = class_of(layout) else { return ptr::null_mut() };
        // SAFETY: one thread, and no reentry: nothing here allocates.
        let state = unsafe { &mut *self.0.get() };
        let head = state.free[class];
        if !head.is_null() && layout.align() <= BLOCK_ALIGN {
            // SAFETY: a freed block of this class holds the next link.
            state.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        state.start_in(ARENA.0.get() as usize, ARENA_BYTES);
        state.carve(size, layout.align(), memory_grow) as *mut u8
    }

    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some((class, _)) = class_of(layout) else { return };
        // SAFETY: as in alloc; the block is at least 8 bytes and 8-aligned.
        let state = unsafe { &mut *self.0.get() };
        unsafe { block.cast::<*mut u8>().write(state.free[class]) };
        state.free[class] = block;
    }

    #[inline(never)]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller passes a valid layout; its size only changes.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class_of(layout) == class_of(new_layout) {
            return block;
        }
        // SAFETY: the GlobalAlloc contract, as the default realloc does.
        unsafe {
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// The memory a test's allocator grows: its size in pages, and how
        /// many pages someone else grows before each growth of ours.
        static PAGES: Cell<usize> = const { Cell::new(0) };
        static FOREIGN_PAGES: Cell<usize> = const { Cell::new(0) };
    }

    /// `memory.grow` over the test's memory (each test runs on its own thread).
    fn fake_grow(pages: usize) -> usize {
        PAGES.set(PAGES.get() + FOREIGN_PAGES.get());
        PAGES.replace(PAGES.get() + pages)
    }

    fn memory_of(pages: usize, foreign_pages_per_growth: usize) -> State {
        PAGES.set(pages);
        FOREIGN_PAGES.set(foreign_pages_per_growth);
        State { free: [ptr::null_mut(); CLASSES], next: 0, end: 0 }
    }

    #[test]
    fn a_class_is_the_power_of_two_that_holds_size_and_alignment() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(1, 1), Some((0, 8)));
        assert_eq!(class(8, 8), Some((0, 8)));
        assert_eq!(class(9, 1), Some((1, 16)));
        assert_eq!(class(24, 8), Some((2, 32)));
        assert_eq!(class(4, 64), Some((3, 64)));
        assert_eq!(class(1 << 20, 8), Some((17, 1 << 20)));
    }

    #[test]
    fn blocks_are_carved_in_order_aligned_and_memory_grows_as_needed() {
        let mut state = memory_of(2, 0);
        assert_eq!(state.carve(8, 8, fake_grow), 2 * PAGE, "past the memory there was");
        assert_eq!(state.carve(32, 8, fake_grow), 2 * PAGE + 16, "aligned to 16");
        assert_eq!(state.carve(8, 64, fake_grow), 2 * PAGE + 64, "aligned as asked");
        let big = state.carve(PAGE, 8, fake_grow);
        assert_eq!(big % BLOCK_ALIGN, 0);
        assert!(big + PAGE <= state.end, "grown to hold it");
        assert_eq!(state.end, PAGES.get() * PAGE);
    }

    #[test]
    fn the_arena_comes_first_then_memory_grows_past_it() {
        let mut state = memory_of(8, 0);
        state.start_in(PAGE, 2 * PAGE);
        assert_eq!(state.carve(PAGE, 8, fake_grow), PAGE);
        assert_eq!(state.carve(PAGE, 8, fake_grow), 2 * PAGE, "the arena's last page");
        assert_eq!(state.carve(16, 8, fake_grow), 8 * PAGE, "past the arena, in grown memory");
        state.start_in(0, 0);
        assert_eq!(state.carve(16, 8, fake_grow), 8 * PAGE + 16, "started once only");
    }

    #[test]
    fn memory_grown_by_someone_else_is_left_alone() {
        let mut state = memory_of(0, 1);
        assert_eq!(state.carve(PAGE, 8, fake_grow), PAGE, "after the foreign page");
        assert_eq!(state.carve(2 * PAGE, 8, fake_grow), 4 * PAGE, "after the next foreign page");
    }

    #[test]
    fn a_refused_growth_is_a_failed_allocation() {
        let mut state = memory_of(0, 0);
        assert_eq!(state.carve(16, 8, |_| usize::MAX), 0);
        assert_eq!(state.carve(usize::MAX - 8, 8, fake_grow), 0, "a size past the address space");
    }
}
