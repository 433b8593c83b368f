// host/guarded_buffer.hpp -- an output buffer a plugin writes into, ending at an inaccessible page
// (header-only, C++17, POSIX).
//
// A plugin that writes past the end of its output (one id too many, an off-by-one loop) faults at
// once -- and the host's fault guard names it -- instead of silently corrupting the host's heap.
#ifndef DATAFLEX_HOST_GUARDED_BUFFER_HPP
#define DATAFLEX_HOST_GUARDED_BUFFER_HPP

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace dataflex::host {

template <class T>
class GuardedBuffer {
 public:
  GuardedBuffer(std::size_t n, T fill) : size_(n) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t bytes = n * sizeof(T);
    const std::size_t data_pages = (bytes + page - 1) / page * page;
    mapped_ = data_pages + page;
    void* base = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<uint8_t*>(base);
    if (::mprotect(base_ + data_pages, page, PROT_NONE) != 0) {
      ::munmap(base_, mapped_);
      throw std::bad_alloc();
    }
    data_ = reinterpret_cast<T*>(base_ + data_pages - bytes);  // the last element touches the guard page
    std::fill(data_, data_ + n, fill);
  }
  ~GuardedBuffer() { ::munmap(base_, mapped_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  T* data() { return data_; }
  std::size_t size() const { return size_; }
  std::vector<T> to_vector(std::size_t n) const { return std::vector<T>(data_, data_ + std::min(n, size_)); }
  std::vector<T> to_vector() const { return to_vector(size_); }

 private:
  std::size_t size_;
  std::size_t mapped_ = 0;
  uint8_t* base_ = nullptr;
  T* data_ = nullptr;
};

}  // namespace dataflex::host

#endif  // DATAFLEX_HOST_GUARDED_BUFFER_HPP
