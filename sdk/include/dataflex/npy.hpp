// npy.hpp -- NumPy .npy files of a float32 matrix, read and written (header-only, C++17).
//
// The one format DataFlex exchanges feature matrices in: `dataflex-run features` writes them, the
// runtime reads precomputed embeddings from them, and a plugin (LESS's offline workflow) may read them
// itself. Only what those need: format versions 1-3, little-endian float32 ('<f4') or integer index
// matrices ('<i8', '<i4', '<u8', '<u4': the original NEAR's top_indices.npy), C order, two dimensions;
// and 1-D float vectors ('<f8', '<f4': the original TSDS's tsds_probs.npy).
// Anything else is refused with a message naming the file and what was found.
#ifndef DATAFLEX_NPY_HPP
#define DATAFLEX_NPY_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::npy {

struct Matrix {
  std::vector<float> data;  // row-major rows x cols
  int64_t rows = 0, cols = 0;
};

namespace detail {

// The value after `'key':` in a header dict: a quoted string, a parenthesised tuple, or a bare word up
// to the next comma. False when the key is absent or the value unterminated.
inline bool find_value(const std::string& header, const std::string& key, std::string& value) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) return false;
  const auto colon = header.find(':', k);
  if (colon == std::string::npos) return false;
  auto start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) return false;
  const char open = header[start];
  const char close = open == '(' ? ')' : open == '\'' ? '\'' : ',';
  const auto end = header.find(close, start + 1);
  if (end == std::string::npos) return false;
  value = header.substr(start, end - start + (open == '(' || open == '\'' ? 1 : 0));
  return true;
}

inline int64_t parse_dim(const std::string& text, const std::string& where) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(where + ": expected a 2-D shape (rows, cols)");
  return std::stoll(text);
}

}  // namespace detail

namespace detail {

// What the header of a 2-D, C-order .npy file says, checked against the bytes that follow it.
struct Header {
  std::string descr;  // as written, quotes included: '<f4'
  int64_t rows = 0, cols = 0;
  std::size_t data_start = 0, item_size = 0;
};

// `accepted`: the descr values the caller reads ("'<f4'"); `expected` describes them in errors.
// `vector`: the shape must be 1-D, (n,), read as n rows of one column; otherwise 2-D, (rows, cols).
inline Header parse_header(const std::string& bytes, const std::string& where, const std::vector<std::string>& accepted,
                           const std::string& expected, bool vector = false) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw std::invalid_argument(where + ": not an .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw std::invalid_argument(where + ": .npy format version " + std::to_string(major));
  const std::size_t len_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_size) throw std::invalid_argument(where + ": .npy header cut short");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_size; ++i)
    header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  if (header_len > bytes.size() - 8 - len_size)
    throw std::invalid_argument(where + ": .npy header runs past the end of the file");
  Header h;
  h.data_start = 8 + len_size + header_len;
  const std::string header = bytes.substr(8 + len_size, header_len);
  std::string order, shape;
  bool known = find_value(header, "descr", h.descr);
  known = known && std::find(accepted.begin(), accepted.end(), h.descr) != accepted.end();
  if (!known)
    throw std::invalid_argument(where + ": expected " + expected + ", found " +
                                (h.descr.empty() ? "no descr" : h.descr));
  h.item_size = static_cast<std::size_t>(h.descr[h.descr.size() - 2] - '0');
  if (!find_value(header, "fortran_order", order) || order != "False")
    throw std::invalid_argument(where + ": expected C-order data ('fortran_order': False)");
  const std::string wanted = vector ? "a 1-D shape (n,)" : "a 2-D shape (rows, cols)";
  if (!find_value(header, "shape", shape) || shape.size() < 2)
    throw std::invalid_argument(where + ": expected " + wanted);
  const std::string inner = shape.substr(1, shape.size() - 2);
  const auto comma = inner.find(',');
  if (comma == std::string::npos) throw std::invalid_argument(where + ": expected " + wanted + ", found " + shape);
  auto trim = [](std::string s) {
    const auto a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  const std::string second = trim(inner.substr(comma + 1));
  if (vector != second.empty()) throw std::invalid_argument(where + ": expected " + wanted + ", found " + shape);
  h.rows = parse_dim(trim(inner.substr(0, comma)), where);
  h.cols = vector ? 1 : parse_dim(second, where);
  const std::size_t available = bytes.size() - h.data_start;
  const auto per_row = static_cast<uint64_t>(h.cols) * h.item_size;
  if (h.cols != 0 && static_cast<uint64_t>(h.rows) > available / per_row)
    throw std::invalid_argument(where + ": " + std::to_string(available) + " data bytes, fewer than the header's " +
                                std::to_string(h.rows) + " x " + std::to_string(h.cols) + " values");
  const std::size_t need = static_cast<std::size_t>(h.rows) * static_cast<std::size_t>(per_row);
  if (available != need)
    throw std::invalid_argument(where + ": " + std::to_string(available) + " data bytes, expected " +
                                std::to_string(need));
  return h;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot be opened");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace detail

// Parses the bytes of an .npy file; `where` names it in errors.
inline Matrix parse(const std::string& bytes, const std::string& where) {
  const detail::Header h = detail::parse_header(bytes, where, {"'<f4'"}, "float32 data ('descr': '<f4')");
  Matrix m;
  m.rows = h.rows;
  m.cols = h.cols;
  m.data.resize(static_cast<std::size_t>(m.rows) * static_cast<std::size_t>(m.cols));
  if (!m.data.empty()) std::memcpy(m.data.data(), bytes.data() + h.data_start, m.data.size() * 4);
  return m;
}

// A 2-D matrix of integers (indices: numpy's argsort and argpartition write int64).
struct IndexMatrix {
  std::vector<int64_t> data;  // row-major rows x cols
  int64_t rows = 0, cols = 0;
};

// Parses an .npy file of little-endian integers ('<i8', '<i4', '<u8', '<u4'), widened to int64; an
// unsigned value above INT64_MAX is refused.
inline IndexMatrix parse_indices(const std::string& bytes, const std::string& where) {
  const detail::Header h = detail::parse_header(bytes, where, {"'<i8'", "'<i4'", "'<u8'", "'<u4'"},
                                                "integer data ('descr': '<i8', '<i4', '<u8' or '<u4')");
  IndexMatrix m;
  m.rows = h.rows;
  m.cols = h.cols;
  m.data.resize(static_cast<std::size_t>(m.rows) * static_cast<std::size_t>(m.cols));
  const char* p = bytes.data() + h.data_start;
  const bool is_signed = h.descr[2] == 'i';
  for (std::size_t i = 0; i < m.data.size(); ++i, p += h.item_size) {
    if (h.item_size == 8) {
      uint64_t u;
      std::memcpy(&u, p, 8);
      if (!is_signed && u > static_cast<uint64_t>(INT64_MAX))
        throw std::invalid_argument(where + ": value " + std::to_string(u) + " at position " + std::to_string(i) +
                                    " does not fit a signed 64-bit index");
      m.data[i] = static_cast<int64_t>(u);
    } else if (is_signed) {
      int32_t v;
      std::memcpy(&v, p, 4);
      m.data[i] = v;
    } else {
      uint32_t v;
      std::memcpy(&v, p, 4);
      m.data[i] = v;
    }
  }
  return m;
}

inline IndexMatrix read_indices(const std::string& path) { return parse_indices(detail::read_bytes(path), path); }

// Parses an .npy file of a 1-D array of little-endian floats ('<f8', numpy's default, or '<f4'), as
// doubles: per-sample values such as the original TSDS's tsds_probs.npy.
inline std::vector<double> parse_vector(const std::string& bytes, const std::string& where) {
  const detail::Header h =
      detail::parse_header(bytes, where, {"'<f8'", "'<f4'"}, "float data ('descr': '<f8' or '<f4')", true);
  std::vector<double> out(static_cast<std::size_t>(h.rows));
  const char* p = bytes.data() + h.data_start;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (h.item_size == 8) {
      std::memcpy(&out[i], p + 8 * i, 8);
    } else {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      out[i] = f;
    }
  }
  return out;
}

inline std::vector<double> read_vector(const std::string& path) { return parse_vector(detail::read_bytes(path), path); }

inline Matrix read(const std::string& path) { return parse(detail::read_bytes(path), path); }

// The bytes of an .npy file (version 1.0) holding `data` as a rows x cols float32 matrix.
inline std::string serialize(const float* data, int64_t rows, int64_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;
  out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(rows * cols) * 4);
  return out;
}

}  // namespace dataflex::npy

#endif  // DATAFLEX_NPY_HPP
