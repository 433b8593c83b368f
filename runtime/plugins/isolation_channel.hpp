// isolation_channel.hpp -- the link between the trainer and an isolated plugin's worker process.
//
// One shared-memory region (a sealed memfd both processes map) carries every payload: decision
// inputs, host-service answers (losses, gradient features, embeddings), decisions and state blobs are
// written into it once by the sender and read out once by the receiver, never pushed through a pipe.
// A SOCK_SEQPACKET socket pair carries only 16-byte headers saying "a message of type T and L bytes is
// in the region": its end-of-file tells either side at once that the other has died, and poll() on it
// bounds how long the trainer waits. The protocol is strictly alternating (one side writes while the
// other waits), so one region serves both directions; it grows when a payload needs more room and
// cannot shrink (F_SEAL_SHRINK), so a misbehaving worker cannot make the trainer's mapping fault.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace dataflex::isolation {

enum class MessageType : uint32_t {
  // trainer -> worker: the calls
  Create = 1,
  Select = 2,
  Mix = 3,
  Weight = 4,
  SaveState = 5,
  LoadState = 6,
  // worker -> trainer: the outcome of a call
  Reply = 100,        // the answer; every reply ends with the metrics recorded during the call
  CallFailed = 101,   // the plugin's error status or invalid decision: status, call, message
  WorkerError = 102,  // the worker could not do what was asked (a library that does not load): message
  // worker -> trainer, during a call: a host service the plugin asked for
  ServiceCall = 200,
  // trainer -> worker: the service's answer or its failure
  ServiceAnswer = 300,
  ServiceFailed = 301,  // status (a dfx_status, or -1: not a ServiceError), message
};

// The failures of the link itself: the peer closed it (died), did not answer in time, or sent
// something the protocol does not allow.
struct ChannelClosed {};
struct ChannelTimeout {};
struct ProtocolError {
  std::string what;
};

class Channel;

// Appends a message's payload into the shared region (growing it as needed).
class Writer {
 public:
  explicit Writer(Channel& channel) : channel_(&channel) {}
  void bytes(const void* data, std::size_t n);
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<uint64_t>(v.size());
    bytes(v.data(), v.size() * sizeof(T));
  }
  void strings(const std::vector<std::string>& v) {
    pod<uint64_t>(v.size());
    for (const auto& s : v) str(s);
  }
  std::size_t size() const { return size_; }

 private:
  Channel* channel_;
  std::size_t size_ = 0;
};

// Reads a received payload; every read is bounds-checked (a ProtocolError past the end).
class Reader {
 public:
  Reader(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  void bytes(void* out, std::size_t n) {
    need(n);
    if (n) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
  }
  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  std::string str() {
    const uint64_t n = count(1);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  template <class T>
  std::vector<T> vec() {
    const uint64_t n = count(sizeof(T));
    std::vector<T> v(n);
    bytes(v.data(), n * sizeof(T));
    return v;
  }
  std::vector<std::string> strings() {
    const uint64_t n = count(sizeof(uint64_t));
    std::vector<std::string> v;
    for (uint64_t i = 0; i < n; ++i) v.push_back(str());
    return v;
  }
  bool at_end() const { return pos_ == size_; }

 private:
  void need(std::size_t n) const {
    if (n > size_ - pos_) throw ProtocolError{"a message shorter than its contents"};
  }
  uint64_t count(std::size_t element_size) {
    const auto n = pod<uint64_t>();
    if (element_size && n > (size_ - pos_) / element_size) throw ProtocolError{"a length beyond the message"};
    return n;
  }
  const uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

struct Message {
  MessageType type;
  Reader payload;
};

class Channel {
 public:
  // The trainer's side: creates the region and the socket pair. worker_fds() are the two descriptors
  // the worker inherits (socket, region).
  static Channel create();
  // The worker's side, from the inherited descriptors.
  static Channel adopt(int socket_fd, int region_fd);
  ~Channel();
  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&&) = delete;
  Channel(const Channel&) = delete;

  int peer_socket() const { return peer_socket_; }
  int region_fd() const { return region_fd_; }
  // Closes the descriptors only the worker needs (after it has been started).
  void close_peer();

  // Starts a message: the writer fills the region, send() tells the peer.
  Writer begin() { return Writer(*this); }
  void send(MessageType type, const Writer& payload);
  void send(MessageType type) { send(type, begin()); }
  // Waits for the next message, at most `timeout_ms` (< 0: no limit). The payload stays valid until
  // the next begin() on either side. Throws ChannelClosed, ChannelTimeout or ProtocolError.
  Message receive(int timeout_ms = -1);

 private:
  friend class Writer;
  Channel() = default;
  uint8_t* reserve(std::size_t end);  // maps at least `end` bytes (growing the region when needed)
  void map_to(std::size_t size);

  int socket_ = -1, peer_socket_ = -1, region_fd_ = -1;
  uint8_t* map_ = nullptr;
  std::size_t mapped_ = 0;
};

}  // namespace dataflex::isolation
