//! The widget's global allocator on wasm: blocks in power-of-two size classes, each class a free
//! list, carved from linear memory with a bump pointer. It replaces std's dlmalloc, whose splitting,
//! coalescing and bins are far more code than a chat widget needs (README, Deviations).
//!
//! A freed block goes back to its class's list and is reused by the next allocation of that class;
//! when a class has none, a larger free block is halved down to it before memory grows. Blocks
//! are never merged: a block of class `c` holds any allocation of `c / 2 + 1 ..= c` bytes, and is
//! aligned to `c` (at most to a wasm page). The bytes skipped to
//! align a block, and what is left of a region when memory is not grown in one piece, are cut into
//! the largest aligned blocks that fit and put on their lists, so nothing is lost to alignment.
//!
//! The logic ([`Heap`]) is plain Rust over a [`Memory`] that hands out fresh regions, so it is
//! tested natively; on wasm the memory is `memory.grow` and the heap is the `#[global_allocator]`.

use core::alloc::Layout;

/// A wasm page: memory grows by pages, and no block is aligned to more.
const PAGE: usize = 64 * 1024;
/// The smallest block: it must hold the free list's link, and 8 bytes is the largest alignment
/// Rust's types need on wasm32.
const MIN_BLOCK: usize = 2 * core::mem::size_of::<usize>();

/// Where fresh memory comes from.
pub(crate) trait Memory {
    /// Adds `pages` pages of zeroed memory and returns the address of the first, page-aligned;
    /// `None` when there is no more.
    fn grow(&mut self, pages: usize) -> Option<usize>;
}

/// Free lists by size class, and the region blocks are carved from.
pub(crate) struct Heap<M> {
    /// `free[k]`: the address of the first free block of `1 << k` bytes, 0 when none; each free
    /// block holds the address of the next in its first word.
    free: [usize; usize::BITS as usize],
    /// The next address to carve from, and the end of the memory grown so far (`next <= end`).
    next: usize,
    end: usize,
    memory: M,
}

impl<M: Memory> Heap<M> {
    pub(crate) const fn new(memory: M) -> Self {
        Heap {
            free: [0; usize::BITS as usize],
            next: 0,
            end: 0,
            memory,
        }
    }

    /// A block for `layout`, or null when memory cannot grow.
    pub(crate) fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let Some(size) = class(layout) else {
            return core::ptr::null_mut();
        };
        let block = match self.take(size.trailing_zeros() as usize) {
            Some(block) => Some(block),
            None => self.carve(size),
        };
        block.map_or(core::ptr::null_mut(), |block| block as *mut u8)
    }

    /// A free block of class `1 << k`: the first on its list, or else the smallest larger free
    /// block halved down to it (its upper halves go to their lists), so that memory freed by
    /// large allocations (a poll's body, a snapshot) serves small ones before memory grows.
    fn take(&mut self, k: usize) -> Option<usize> {
        let mut class = (k..self.free.len()).find(|&j| self.free[j] != 0)?;
        let block = self.free[class];
        // SAFETY: `block` is a free block of class `1 << class` (at least `MIN_BLOCK` bytes,
        // word-aligned), put on the list by `release`, which wrote the next link into it.
        self.free[class] = unsafe { *(block as *const usize) };
        while class > k {
            class -= 1;
            // SAFETY: the upper half of a free block, unused, aligned for its class (the block is
            // aligned to at least its half's size, or to a page).
            unsafe { self.release(block + (1 << class), 1 << class) };
        }
        Some(block)
    }

    /// Puts a block from [`Heap::alloc`] with the same `layout` back on its class's list.
    ///
    /// # Safety
    /// `block` came from this heap's `alloc` (or `realloc`) with `layout`, and is not used after.
    pub(crate) unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        if let Some(size) = class(layout) {
            // SAFETY: the caller hands back a block of this class, no longer in use.
            unsafe { self.release(block as usize, size) };
        }
    }

    /// The block grown or shrunk to `new_size`: the same block while the size class is the same,
    /// else a new one with the contents copied, and the old one freed.
    ///
    /// # Safety
    /// As for [`Heap::dealloc`]; `new_size`, rounded up to `layout.align()`, fits an `isize`.
    pub(crate) unsafe fn realloc(
        &mut self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller promises the new size is valid with the old alignment.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class(new_layout) == class(layout) {
            return block;
        }
        let new_block = self.alloc(new_layout);
        if !new_block.is_null() {
            // SAFETY: both blocks are live and distinct (the old one is not free yet), and each
            // holds at least the bytes copied.
            unsafe {
                core::ptr::copy_nonoverlapping(block, new_block, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
        }
        new_block
    }

    /// A new block of `size` bytes (a power of two) from the region, growing memory if needed.
    fn carve(&mut self, size: usize) -> Option<usize> {
        let align = size.min(PAGE);
        let mut start = self.next.checked_next_multiple_of(align)?;
        if start.checked_add(size)? > self.end {
            let pages = size.div_ceil(PAGE);
            let base = self.memory.grow(pages)?;
            if base != self.end {
                // Not contiguous (something else grew memory): what is left here goes to the lists.
                self.release_range(self.next, self.end);
                self.next = base;
                start = base;
            }
            self.end = base + pages * PAGE;
        }
        self.release_range(self.next, start);
        self.next = start + size;
        Some(start)
    }

    /// Cuts `start..end` into the largest blocks that fit and are aligned as their class needs,
    /// and frees them. `start` is a multiple of `MIN_BLOCK`.
    fn release_range(&mut self, mut start: usize, end: usize) {
        while end - start >= MIN_BLOCK {
            let fits = 1 << (usize::BITS - 1 - (end - start).leading_zeros());
            let aligned = 1 << start.trailing_zeros();
            let size = if aligned >= PAGE {
                fits
            } else {
                fits.min(aligned)
            };
            // SAFETY: `start..start + size` is grown memory that no block holds (it lies between
            // blocks carved so far and the end of memory), aligned for its class.
            unsafe { self.release(start, size) };
            start += size;
        }
    }

    /// # Safety
    /// `block` is `size` bytes (a power of two, at least `MIN_BLOCK`) of memory no one uses,
    /// aligned to `min(size, PAGE)`.
    unsafe fn release(&mut self, block: usize, size: usize) {
        let head = &mut self.free[size.trailing_zeros() as usize];
        // SAFETY: the block is unused, writable and word-aligned, so its first word holds the link.
        unsafe { *(block as *mut usize) = *head };
        *head = block;
    }
}

/// The size class of `layout`: its size and alignment rounded up to a power of two, at least
/// `MIN_BLOCK`. `None` when too large, or aligned to more than a page.
fn class(layout: Layout) -> Option<usize> {
    if layout.align() > PAGE {
        return None;
    }
    layout
        .size()
        .max(layout.align())
        .max(MIN_BLOCK)
        .checked_next_power_of_two()
}

#[cfg(target_arch = "wasm32")]
mod global {
    use super::{Heap, Memory, PAGE};
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    /// Linear memory, grown with `memory.grow`.
    struct LinearMemory;

    impl Memory for LinearMemory {
        fn grow(&mut self, pages: usize) -> Option<usize> {
            let previous = core::arch::wasm32::memory_grow(0, pages);
            (previous != usize::MAX).then(|| previous * PAGE)
        }
    }

    struct Global(UnsafeCell<Heap<LinearMemory>>);

    // SAFETY: this wasm module is built without the atomics feature, so it runs on one thread and
    // no two calls into the heap can overlap (none of its methods calls back into the allocator).
    unsafe impl Sync for Global {}

    #[global_allocator]
    static HEAP: Global = Global(UnsafeCell::new(Heap::new(LinearMemory)));

    // SAFETY: each method hands the `GlobalAlloc` contract on to `Heap`, whose blocks are at least
    // `layout.size()` bytes, aligned to `layout.align()`, and never handed out twice while live;
    // the one thread (above) makes the `&mut` borrow of the heap exclusive for each call.
    unsafe impl GlobalAlloc for Global {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc(layout) }
        }
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).dealloc(block, layout) }
        }
        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(block, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages from one page-aligned arena, optionally leaving a gap before each grow (as if
    /// something else had grown memory in between).
    struct Arena {
        base: usize,
        pages: usize,
        used: usize,
        gap: usize,
    }

    impl Arena {
        fn new(pages: usize, gap: usize) -> Self {
            let layout = Layout::from_size_align(pages * PAGE, PAGE).unwrap();
            // SAFETY: a non-zero size; the arena is leaked, as wasm memory is never returned.
            let base = unsafe { std::alloc::alloc_zeroed(layout) } as usize;
            assert_ne!(base, 0);
            Arena {
                base,
                pages,
                used: 0,
                gap,
            }
        }
    }

    impl Memory for Arena {
        fn grow(&mut self, pages: usize) -> Option<usize> {
            let start = self.used + self.gap;
            if start + pages > self.pages {
                return None;
            }
            self.used = start + pages;
            Some(self.base + start * PAGE)
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_block_is_reused_by_the_next_allocation_of_its_class() {
        let mut heap = Heap::new(Arena::new(4, 0));
        let a = heap.alloc(layout(100, 4));
        let b = heap.alloc(layout(100, 4));
        assert_ne!(a, b);
        unsafe { heap.dealloc(a, layout(100, 4)) };
        // 65..=128 bytes share the class of 100.
        assert_eq!(heap.alloc(layout(120, 8)), a);
        assert_ne!(heap.alloc(layout(100, 4)), a);
    }

    #[test]
    fn a_large_free_block_is_halved_for_smaller_classes_before_memory_grows() {
        let mut heap = Heap::new(Arena::new(4, 0));
        let big = heap.alloc(layout(4096, 1));
        let end = heap.end;
        let next = heap.next;
        unsafe { heap.dealloc(big, layout(4096, 1)) };
        let small = heap.alloc(layout(100, 8));
        assert_eq!(small, big);
        // The rest of it serves the classes in between.
        let half = heap.alloc(layout(2048, 1)) as usize;
        assert_eq!(half, big as usize + 2048);
        assert_eq!(
            (heap.next, heap.end),
            (next, end),
            "nothing carved, memory not grown"
        );
    }

    #[test]
    fn blocks_are_aligned_and_skipped_bytes_are_reused() {
        let mut heap = Heap::new(Arena::new(4, 0));
        let small = heap.alloc(layout(MIN_BLOCK, 1)) as usize;
        let big = heap.alloc(layout(4096, 4096)) as usize;
        assert_eq!(big % 4096, 0);
        assert!(big > small);
        // The bytes between them went to the lists: a 2 KB block fits there.
        let between = heap.alloc(layout(2048, 1)) as usize;
        assert!(
            small < between && between + 2048 <= big,
            "{small:#x} {between:#x} {big:#x}"
        );
        assert_eq!(between % 2048, 0);
        let odd = heap.alloc(layout(24, 16)) as usize;
        assert_eq!(odd % 16, 0);
    }

    #[test]
    fn realloc_keeps_the_block_within_its_class_and_moves_the_contents_beyond() {
        let mut heap = Heap::new(Arena::new(4, 0));
        let block = heap.alloc(layout(40, 1));
        unsafe {
            block.copy_from(b"forty bytes of the visitor's message....".as_ptr(), 40);
            assert_eq!(heap.realloc(block, layout(40, 1), 64), block);
            let moved = heap.realloc(block, layout(64, 1), 1000);
            assert_ne!(moved, block);
            assert_eq!(
                core::slice::from_raw_parts(moved, 40),
                b"forty bytes of the visitor's message...."
            );
            // The old block is free again.
            assert_eq!(heap.alloc(layout(64, 1)), block);
        }
    }

    #[test]
    fn memory_grows_for_large_blocks_and_runs_out_with_null() {
        let mut heap = Heap::new(Arena::new(8, 0));
        let big = heap.alloc(layout(3 * PAGE, 1)) as usize;
        assert_ne!(big, 0);
        assert_eq!(big % PAGE, 0);
        assert!(heap.alloc(layout(16 * PAGE, 1)).is_null());
        assert!(heap.alloc(layout(8, 2 * PAGE)).is_null());
        assert!(heap.alloc(layout(usize::MAX / 2, 1)).is_null());
        // What is left still serves small blocks.
        assert!(!heap.alloc(layout(8, 8)).is_null());
    }

    #[test]
    fn a_region_left_behind_by_a_gap_in_memory_is_reused() {
        let mut heap = Heap::new(Arena::new(8, 1));
        let first = heap.alloc(layout(16, 8)) as usize;
        // Does not fit the rest of the first page: memory grows past a gap.
        let page = heap.alloc(layout(PAGE, 1)) as usize;
        assert!(page >= first + 2 * PAGE);
        // The rest of the first page went to the lists.
        let reused = heap.alloc(layout(PAGE / 2, 1)) as usize;
        assert!(reused > first && reused < first + PAGE);
    }

    /// Many allocations, reallocations and frees of mixed sizes (a fixed pseudo-random sequence):
    /// no two live blocks overlap, each keeps its contents, and freed memory is reused. A block is
    /// carved only when its class's list is empty, so memory grows by at most each class's peak of
    /// live bytes, as much again skipped for alignment (and reused), and one grow's unused tail.
    #[test]
    fn live_blocks_never_overlap_and_keep_their_contents() {
        let mut heap = Heap::new(Arena::new(256, 0));
        let mut live: Vec<(usize, Layout, u8)> = Vec::new();
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut peak = [0usize; usize::BITS as usize];
        let mut allocated = 0;
        for step in 0..20_000u32 {
            let fill = step as u8;
            let action = next(3);
            match action {
                0 => {
                    let limit = if next(20) == 0 { 9000 } else { 200 };
                    let size = 1 + next(limit) as usize;
                    let l = layout(size, 1 << next(4));
                    let block = heap.alloc(l);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % l.align(), 0);
                    unsafe { block.write_bytes(fill, size) };
                    live.push((block as usize, l, fill));
                    allocated += size;
                }
                _ if !live.is_empty() => {
                    let (block, l, fill) = live.swap_remove(next(live.len() as u64) as usize);
                    let bytes =
                        unsafe { core::slice::from_raw_parts(block as *const u8, l.size()) };
                    assert!(
                        bytes.iter().all(|&b| b == fill),
                        "block {block:#x} overwritten"
                    );
                    if action == 1 {
                        unsafe { heap.dealloc(block as *mut u8, l) };
                    } else {
                        let size = 1 + next(500) as usize;
                        let moved = unsafe { heap.realloc(block as *mut u8, l, size) };
                        let kept =
                            unsafe { core::slice::from_raw_parts(moved, l.size().min(size)) };
                        assert!(kept.iter().all(|&b| b == fill));
                        unsafe { moved.write_bytes(fill, size) };
                        live.push((moved as usize, layout(size, l.align()), fill));
                    }
                }
                _ => {}
            }
            let mut now = [0usize; usize::BITS as usize];
            for &(_, l, _) in &live {
                let size = class(l).unwrap();
                now[size.trailing_zeros() as usize] += size;
            }
            for (peak, now) in peak.iter_mut().zip(now) {
                *peak = (*peak).max(now);
            }
            let mut spans: Vec<(usize, usize)> =
                live.iter().map(|&(b, l, _)| (b, b + l.size())).collect();
            spans.sort_unstable();
            assert!(
                spans.windows(2).all(|w| w[0].1 <= w[1].0),
                "overlap at step {step}"
            );
        }
        let grown = heap.end - heap.memory.base;
        let peaks: usize = peak.iter().sum();
        assert!(
            grown <= 2 * peaks + PAGE,
            "grew {grown} B for class peaks of {peaks} B"
        );
        assert!(
            grown * 10 < allocated,
            "grew {grown} B for {allocated} B allocated in all"
        );
    }
}
