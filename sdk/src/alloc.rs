//! The guest's allocator (feature `allocator`, on by default, wasm only).
//!
//! A plugin instance serves one call and is then thrown away, and a detector's work is
//! many small allocations: the strings of the batch the host writes in, the strings of
//! parsed objects, the findings it writes out. For that shape, segregated free lists
//! beat the general-purpose `dlmalloc` of wasi-libc: Rust passes the size to `dealloc`,
//! so a small block needs no header, allocating is popping a list or bumping a
//! pointer, freeing is pushing a list. Blocks above [`MAX_SMALL`] bytes, or aligned to
//! more than [`MAX_ALIGN`], go to the system allocator, which also supplies the chunks
//! small blocks are cut from. Memory of small blocks is reused within its size class
//! and never returned: the instance's memory is dropped after the call anyway.
//!
//! Profiled on the k8s-resources detector at 10k resources: allocation and freeing go
//! from about a fifth of the samples with `dlmalloc` to under a tenth.
//!
//! The first chunk is the allocator's own zeroed arena, which lands in the module's
//! `.bss`, inside the memory the instance starts with. A call that allocates little
//! never grows memory, and each growth costs the host two `mprotect`s (one to grow, one
//! to shrink the reused slot for the next instance) with their TLB shootdowns: an
//! empty k8s-resources call went from about 34 to 24 µs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Largest block served from the size classes; larger ones go to the system allocator.
pub const MAX_SMALL: usize = 32 << 10;

/// Alignment every size class guarantees.
pub const ALIGN: usize = 8;

/// Strictest alignment the size classes serve (that of `u128` and of the nodes of maps
/// holding one): blocks of classes whose size is a multiple of it are cut at multiples
/// of it. Stricter layouts go to the system allocator.
pub const MAX_ALIGN: usize = 16;

/// Sizes up to this step by [`ALIGN`]; above, four classes per power of two.
const LINEAR_LIMIT: usize = 128;

/// Number of size classes: 16 linear ones (8..=128), then 4 per doubling up to [`MAX_SMALL`].
const CLASSES: usize = LINEAR_LIMIT / ALIGN + 4 * (MAX_SMALL.trailing_zeros() as usize - 7);

/// Bytes of the built-in first chunk (the arena), and of the first chunk requested from
/// the system allocator after it; chunks then double up to [`MAX_CHUNK`].
const FIRST_CHUNK: usize = 64 << 10;
const MAX_CHUNK: usize = 1 << 20;

const _: () = assert!(MAX_SMALL <= FIRST_CHUNK, "a small block fits the arena");

/// The first chunk, part of the allocator itself so that it needs no memory growth.
/// Every field of a new allocator is zero, so the global one lands in `.bss`, not in
/// the module's data (which would add the arena's 64 KiB to every plugin file).
#[repr(C, align(16))]
struct Arena([u8; FIRST_CHUNK]);

const _: () = assert!(std::mem::align_of::<Arena>() == MAX_ALIGN);

/// The size class of a small block of `size` bytes (1..=[`MAX_SMALL`]).
fn class_of(size: usize) -> usize {
    if size <= LINEAR_LIMIT {
        return size.div_ceil(ALIGN) - 1;
    }
    let s = size - 1;
    let log = (usize::BITS - 1 - s.leading_zeros()) as usize;
    LINEAR_LIMIT / ALIGN + (log - 7) * 4 + ((s >> (log - 2)) & 3)
}

/// The block size of a size class.
fn class_size(class: usize) -> usize {
    let linear = LINEAR_LIMIT / ALIGN;
    if class < linear {
        return (class + 1) * ALIGN;
    }
    let step = class - linear;
    let log = step / 4 + 7;
    (4 + step % 4 + 1) << (log - 2)
}

/// The size class serving `layout`, or `None` when the system allocator does. A layout
/// aligned to more than [`ALIGN`] takes the class of its size rounded up to
/// [`MAX_ALIGN`], whose blocks are all cut at multiples of it (see [`State::bump`]).
fn class_for(layout: &Layout) -> Option<usize> {
    let size = match layout.align() {
        align if align <= ALIGN => layout.size(),
        align if align <= MAX_ALIGN => layout.size().next_multiple_of(MAX_ALIGN),
        _ => return None,
    };
    (size <= MAX_SMALL).then(|| class_of(size.max(1)))
}

struct State {
    /// Head of each class's free list; a free block holds the next pointer.
    free: [*mut u8; CLASSES],
    /// Bump region of the current chunk.
    next: *mut u8,
    end: *mut u8,
    /// Bytes of the next chunk from the system; 0 while the arena has not been handed
    /// to the bump region yet.
    chunk: usize,
    /// True once an export has produced its result: the instance is dropped after
    /// the call, so freeing what the caller copied out is wasted work.
    frees_off: bool,
}

/// Segregated-free-list allocator for single-threaded wasm guests; see the module docs.
pub struct GuestAllocator {
    state: UnsafeCell<State>,
    arena: UnsafeCell<Arena>,
}

// SAFETY: wasm guests built by this SDK are single-threaded (no `atomics` target
// feature), so the state is never touched by two threads.
unsafe impl Sync for GuestAllocator {}

impl GuestAllocator {
    /// An allocator with empty free lists.
    pub const fn new() -> Self {
        GuestAllocator {
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
                chunk: 0,
                frees_off: false,
            }),
            arena: UnsafeCell::new(Arena([0; FIRST_CHUNK])),
        }
    }

    /// Turns freeing on (at the start of an export) or off (once its result is built:
    /// what remains to free is the result, after the host copied it out, just before
    /// the instance is dropped). Off only wastes memory, never reuses a live block.
    pub fn set_frees(&self, on: bool) {
        // SAFETY: single-threaded (see the `Sync` impl).
        unsafe { (*self.state.get()).frees_off = !on };
    }
}

impl Default for GuestAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    /// Cuts a block of `size` bytes (at most [`MAX_SMALL`]) from the bump region,
    /// refilling it when short: from `arena` the first time, then from the system. A
    /// size that is a multiple of [`MAX_ALIGN`] is cut at a multiple of it.
    unsafe fn bump(&mut self, size: usize, arena: *mut Arena) -> *mut u8 {
        if size.is_multiple_of(MAX_ALIGN) {
            // Chunks start aligned and stay 8-aligned, so at most 8 bytes are skipped;
            // `end` is aligned too, so this never passes it.
            let pad = (self.next as usize).wrapping_neg() & (MAX_ALIGN - 1);
            self.next = self.next.wrapping_add(pad);
        }
        if (self.end as usize) - (self.next as usize) < size {
            if self.chunk == 0 {
                self.chunk = FIRST_CHUNK;
                self.next = arena.cast();
                // SAFETY: the arena is FIRST_CHUNK bytes long.
                self.end = unsafe { self.next.add(FIRST_CHUNK) };
                // SAFETY: size <= MAX_SMALL < FIRST_CHUNK, so the arena has room.
                return unsafe { self.bump(size, arena) };
            }
            let bytes = self.chunk.max(size);
            // SAFETY: `bytes` is non-zero and MAX_ALIGN is a power of two.
            let chunk =
                unsafe { System.alloc(Layout::from_size_align_unchecked(bytes, MAX_ALIGN)) };
            if chunk.is_null() {
                return chunk;
            }
            self.next = chunk;
            // SAFETY: the chunk is `bytes` long.
            self.end = unsafe { chunk.add(bytes) };
            self.chunk = (self.chunk * 2).min(MAX_CHUNK);
        }
        let block = self.next;
        // SAFETY: checked above that `size` bytes remain.
        self.next = unsafe { block.add(size) };
        block
    }
}

unsafe impl GlobalAlloc for GuestAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_for(&layout) else {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.alloc(layout) };
        };
        // SAFETY: single-threaded (see the `Sync` impl); no reentrancy into `self`.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if head.is_null() {
            // SAFETY: as above.
            return unsafe { state.bump(class_size(class), self.arena.get()) };
        }
        // SAFETY: a free block of this class holds the next free block's address.
        state.free[class] = unsafe { head.cast::<*mut u8>().read() };
        head
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: single-threaded (see the `Sync` impl).
        if unsafe { (*self.state.get()).frees_off } {
            return;
        }
        let Some(class) = class_for(&layout) else {
            // SAFETY: the block came from `System` with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        };
        // SAFETY: single-threaded; the block is at least 8 bytes and 8-aligned.
        unsafe {
            let state = &mut *self.state.get();
            ptr.cast::<*mut u8>().write(state.free[class]);
            state.free[class] = ptr;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_for(&layout), class_for(&new_layout)) {
            // SAFETY: the block came from `System` with `layout`.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            (Some(old), Some(new)) if old == new => ptr,
            _ => {
                // SAFETY: a fresh block of the new layout, the old one's bytes copied
                // over, then the old one freed with its own layout.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_fits_its_class_and_classes_grow_by_at_most_a_quarter() {
        let mut last = 0;
        for size in 1..=MAX_SMALL {
            let class = class_of(size);
            assert!(class < CLASSES, "size {size} -> class {class}");
            let block = class_size(class);
            assert!(block >= size, "size {size} in class of {block}");
            assert_eq!(block % ALIGN, 0);
            assert!(class >= last, "classes are monotonic");
            if class > 0 {
                assert!(
                    class_size(class - 1) < size,
                    "size {size} fits a smaller class"
                );
            }
            last = class;
        }
        assert_eq!(class_size(CLASSES - 1), MAX_SMALL);
        for class in 1..CLASSES {
            let (a, b) = (class_size(class - 1), class_size(class));
            assert!(b - a <= a / 4 + ALIGN, "{a} -> {b}");
        }
    }

    #[test]
    fn reuses_freed_blocks_and_keeps_contents_on_realloc() {
        let a = GuestAllocator::new();
        unsafe {
            let l24 = Layout::from_size_align(24, 8).unwrap();
            let p = a.alloc(l24);
            assert!(!p.is_null());
            assert_eq!(p as usize % 8, 0);
            p.write_bytes(7, 24);
            a.dealloc(p, l24);
            assert_eq!(a.alloc(l24), p, "a freed block is handed out again");
            p.write_bytes(7, 24);
            let q = a.realloc(p, l24, 20);
            assert_eq!(q, p, "same class: in place");
            let r = a.realloc(q, Layout::from_size_align(20, 8).unwrap(), 100_000);
            assert!(std::slice::from_raw_parts(r, 20).iter().all(|&b| b == 7));
            let l100k = Layout::from_size_align(100_000, 8).unwrap();
            let s = a.realloc(r, l100k, 40);
            assert!(std::slice::from_raw_parts(s, 20).iter().all(|&b| b == 7));
            a.dealloc(s, Layout::from_size_align(40, 8).unwrap());
            let big = Layout::from_size_align(64, 64).unwrap();
            let b = a.alloc(big);
            assert_eq!(b as usize % 64, 0, "strict alignment goes to the system");
            a.dealloc(b, big);
        }
    }

    #[test]
    fn sixteen_byte_alignment_is_served_from_the_classes() {
        let a = GuestAllocator::new();
        let arena = a.arena.get() as usize..a.arena.get() as usize + FIRST_CHUNK;
        let mut live = Vec::new();
        unsafe {
            // Alternate 8-byte blocks (which leave the bump pointer 8 off a multiple
            // of 16) with 16-aligned layouts of sizes that are not multiples of 16.
            for i in 0..200usize {
                let narrow = Layout::from_size_align(8, 8).unwrap();
                let wide = Layout::from_size_align(1 + i % 100, 16).unwrap();
                for layout in [narrow, wide] {
                    let p = a.alloc(layout);
                    assert_eq!(p as usize % layout.align(), 0, "{layout:?}");
                    assert!(
                        arena.contains(&(p as usize)),
                        "{layout:?} went to the system"
                    );
                    p.write_bytes(i as u8, layout.size());
                    live.push((p, layout, i as u8));
                }
            }
            for (p, layout, byte) in &live {
                let bytes = std::slice::from_raw_parts(*p, layout.size());
                assert!(bytes.iter().all(|b| b == byte), "a block was overwritten");
            }
            let (p, wide, _) = live[1];
            a.dealloc(p, wide);
            assert_eq!(
                a.alloc(wide),
                p,
                "a freed aligned block is handed out again"
            );
            let q = a.realloc(p, wide, 9);
            assert_eq!(q, p, "same class after rounding to 16: in place");
            let strict = Layout::from_size_align(48, 32).unwrap();
            let s = a.alloc(strict);
            assert_eq!(s as usize % 32, 0);
            assert!(
                !arena.contains(&(s as usize)),
                "alignment above 16 goes to the system"
            );
            a.dealloc(s, strict);
        }
    }

    #[test]
    fn frees_turned_off_keep_blocks_out_of_reuse() {
        let a = GuestAllocator::new();
        let layout = Layout::from_size_align(40, 8).unwrap();
        unsafe {
            let p = a.alloc(layout);
            a.set_frees(false);
            a.dealloc(p, layout);
            let q = a.alloc(layout);
            assert_ne!(
                p, q,
                "a block freed while frees are off stays out of the list"
            );
            a.set_frees(true);
            a.dealloc(q, layout);
            assert_eq!(a.alloc(layout), q);
        }
    }

    #[test]
    fn distinct_live_blocks_do_not_overlap() {
        let a = GuestAllocator::new();
        let mut blocks = Vec::new();
        unsafe {
            for i in 0..20_000usize {
                let size = 1 + (i * 7919) % 3000;
                let layout = Layout::from_size_align(size, 8).unwrap();
                let p = a.alloc(layout);
                p.write_bytes((i % 251) as u8, size);
                blocks.push((p, layout, (i % 251) as u8));
                if i % 3 == 0 {
                    let (p, layout, _) = blocks.swap_remove(i % blocks.len());
                    a.dealloc(p, layout);
                }
            }
            for (p, layout, byte) in &blocks {
                let bytes = std::slice::from_raw_parts(*p, layout.size());
                assert!(bytes.iter().all(|b| b == byte), "a block was overwritten");
            }
        }
    }
}
