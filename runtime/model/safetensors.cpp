#include "model/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

// The specification caps the header at 100 MB; anything larger is a corrupt length.
constexpr uint64_t kMaxHeader = 100ull * 1024 * 1024;

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};
constexpr DTypeInfo kDTypes[] = {{DType::F32, "F32", 4},  {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
                                 {DType::F64, "F64", 8},  {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
                                 {DType::I16, "I16", 2},  {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
                                 {DType::BOOL, "BOOL", 1}};

bool parse_dtype(const std::string& s, DType* out) {
  for (const auto& d : kDTypes)
    if (s == d.name) {
      *out = d.dtype;
      return true;
    }
  return false;
}

}  // namespace

const char* to_string(DType d) {
  for (const auto& x : kDTypes)
    if (x.dtype == d) return x.name;
  return "?";
}
std::size_t dtype_size(DType d) {
  for (const auto& x : kDTypes)
    if (x.dtype == d) return x.size;
  return 0;
}
int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(path + ": cannot stat");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw Error(path + ": not a safetensors file: " + std::to_string(size) +
                " bytes, expected at least the 8-byte header length");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw Error(path + ": cannot map: " + std::strerror(errno));
  f->map_ = static_cast<const uint8_t*>(map);
  f->map_size_ = size;

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | f->map_[i];  // little-endian
  if (header_len > kMaxHeader || header_len > size - 8)
    throw Error(path + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  const uint64_t data_size = size - 8 - header_len;
  const uint8_t* data = f->map_ + 8 + header_len;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(f->map_ + 8, f->map_ + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": header is not valid JSON: " + one_line(e.what()));
  }
  if (!header.is_object()) throw Error(path + ": header: expected a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw Error(path + ": __metadata__: expected an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw Error(path + ": __metadata__." + m.key() + ": expected a string");
        f->metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    if (!v.is_object()) throw Error(where + ": expected an object with dtype, shape, data_offsets");
    TensorView t;
    t.name = name;
    if (!v.contains("dtype") || !v["dtype"].is_string() || !parse_dtype(v["dtype"].get<std::string>(), &t.dtype))
      throw Error(where + ": dtype: expected one of F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL");
    if (!v.contains("shape") || !v["shape"].is_array()) throw Error(where + ": shape: expected an array");
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw Error(where + ": shape: expected non-negative integers");
      uint64_t dim = d.get<uint64_t>();
      if (dim > (1ull << 48) || (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / dim))
        throw Error(where + ": shape: too many elements");
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw Error(where + ": data_offsets: expected [begin, end]");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw Error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] outside the data section of " + std::to_string(data_size) + " bytes");
    const uint64_t expected = numel * dtype_size(t.dtype);
    if (end - begin != expected)
      throw Error(where + ": " + std::to_string(end - begin) + " bytes for " + std::to_string(numel) + " " +
                  to_string(t.dtype) + " elements, expected " + std::to_string(expected));
    t.data = data + begin;
    t.nbytes = static_cast<std::size_t>(end - begin);
    f->tensors_.push_back(std::move(t));
  }
  std::sort(f->tensors_.begin(), f->tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.data < b.data; });
  for (std::size_t i = 1; i < f->tensors_.size(); ++i) {
    const TensorView& a = f->tensors_[i - 1];
    const TensorView& b = f->tensors_[i];
    if (a.data + a.nbytes > b.data)
      throw Error(path + ": tensors '" + a.name + "' and '" + b.name + "' overlap in the data section");
  }
  // The format requires the tensors to tile the data section exactly (as the reference reader checks):
  // a header length off by a byte would otherwise shift every tensor and read garbage as weights.
  uint64_t covered = 0;
  for (const TensorView& t : f->tensors_) {
    if (static_cast<uint64_t>(t.data - data) != covered)
      throw Error(path + ": tensor '" + t.name + "' starts at byte " + std::to_string(t.data - data) +
                  " of the data section, expected " + std::to_string(covered) +
                  " (the data offsets must tile the data section exactly; is the header length right?)");
    covered += t.nbytes;
  }
  if (covered != data_size)
    throw Error(path + ": the tensors cover " + std::to_string(covered) + " bytes of a data section of " +
                std::to_string(data_size) +
                " (the data offsets must tile the data section exactly; is the header length right?)");
  for (std::size_t i = 0; i < f->tensors_.size(); ++i) f->index_[f->tensors_[i].name] = i;
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t numel = 1;
    for (int64_t s : t.shape) numel *= static_cast<uint64_t>(s);
    if (numel * dtype_size(t.dtype) != t.nbytes)
      throw Error(path + ": tensor '" + t.name + "': byte size does not match shape and dtype");
    header[t.name] = {{"dtype", to_string(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // data section 8-byte aligned
  write_atomically_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(tmp + ": cannot open for writing");
    uint8_t len[8];
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : tensors) out.write(static_cast<const char*>(t.data), static_cast<std::streamsize>(t.nbytes));
    out.flush();
    if (!out) throw Error(tmp + ": write failed (disk full?)");
  });
}

}  // namespace dataflex
