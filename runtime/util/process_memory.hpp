// process_memory.hpp -- this process's resident memory, as the logs and benches report it, and how
// freed memory is kept for reuse.
#pragma once

namespace dataflex {

// Resident set now, MiB (/proc/self/statm); 0 where it cannot be read.
double resident_mb();
// The largest resident set so far, MiB (getrusage's ru_maxrss).
double peak_resident_mb();

// Bytes the process's allocator has handed out and not had back, MiB (glibc's mallinfo2: heap blocks
// in use plus mmap-ed blocks); 0 where it is not glibc. Unlike the resident set it falls when tensors
// are freed, so the difference across a forward pass is the memory its activations hold.
double heap_in_use_mb();

// glibc hands every freed block above its (adaptive) mmap threshold, and the free top of the heap
// above 128 KiB, back to the kernel; the next step's activations then fault in fresh zeroed pages
// (measured: 140,000 page faults and 30 % of a ~30M model's step, bench/train_step_cpp.cpp --phases).
// A training process frees and reallocates the same large tensors every step: blocks up to glibc's
// 32 MiB maximum come from the heap instead, and freed heap is kept for reuse, so the resident set
// stays at its peak. Settings the user made with MALLOC_* or GLIBC_TUNABLES are kept. Call it first
// thing in main(), before large allocations.
void keep_freed_memory_for_reuse();

}  // namespace dataflex
