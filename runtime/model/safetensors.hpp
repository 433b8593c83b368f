// safetensors.hpp -- the safetensors file format, read and written against its specification.
//
// Layout: 8-byte little-endian header length N; N bytes of UTF-8 JSON {name: {dtype, shape,
// data_offsets: [begin, end]}, "__metadata__": {str: str}}; then the byte buffer, offsets relative
// to its start. Every length, offset and size is checked before use: a malformed file is a
// dataflex::Error naming the file and the tensor, never a crash. No LibTorch here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dataflex {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };
const char* to_string(DType d);  // safetensors spelling: "F32", "BF16", ...
std::size_t dtype_size(DType d);

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // owned by the SafetensorsFile; valid while it lives
  std::size_t nbytes = 0;
  int64_t numel() const;
};

// A read-only safetensors file, memory-mapped.
class SafetensorsFile {
 public:
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }  // in offset order
  const TensorView* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  const uint8_t* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: the bytes are borrowed for the duration of the call.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
  std::size_t nbytes;
};

// Writes `path` atomically (PATH.tmp, fsync, rename). Tensors are laid out in the given order.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace dataflex
