#include "plugins/isolation_channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace dataflex::isolation {
namespace {

constexpr std::size_t kInitialRegion = std::size_t{1} << 20;

struct Header {
  uint32_t type;
  uint32_t reserved;
  uint64_t length;
};

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

void Writer::bytes(const void* data, std::size_t n) {
  if (n == 0) return;
  uint8_t* base = channel_->reserve(size_ + n);
  std::memcpy(base + size_, data, n);
  size_ += n;
}

Channel Channel::create() {
  Channel c;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair");
  c.socket_ = fds[0];
  c.peer_socket_ = fds[1];
  c.region_fd_ = ::memfd_create("dataflex-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (c.region_fd_ < 0) fail("memfd_create");
  if (::ftruncate(c.region_fd_, static_cast<off_t>(kInitialRegion)) != 0) fail("ftruncate");
  if (::fcntl(c.region_fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) != 0) fail("F_ADD_SEALS");
  c.map_to(kInitialRegion);
  return c;
}

Channel Channel::adopt(int socket_fd, int region_fd) {
  Channel c;
  c.socket_ = socket_fd;
  c.region_fd_ = region_fd;
  struct stat st {};
  if (::fstat(region_fd, &st) != 0) fail("fstat");
  c.map_to(static_cast<std::size_t>(st.st_size));
  return c;
}

Channel::Channel(Channel&& o) noexcept
    : socket_(o.socket_), peer_socket_(o.peer_socket_), region_fd_(o.region_fd_), map_(o.map_), mapped_(o.mapped_) {
  o.socket_ = o.peer_socket_ = o.region_fd_ = -1;
  o.map_ = nullptr;
  o.mapped_ = 0;
}

Channel::~Channel() {
  if (map_) ::munmap(map_, mapped_);
  for (int fd : {socket_, peer_socket_, region_fd_})
    if (fd >= 0) ::close(fd);
}

void Channel::close_peer() {
  if (peer_socket_ >= 0) ::close(peer_socket_);
  peer_socket_ = -1;
}

void Channel::map_to(std::size_t size) {
  if (size == 0) throw ProtocolError{"an empty shared region"};
  void* p = map_ ? ::mremap(map_, mapped_, size, MREMAP_MAYMOVE)
                 : ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd_, 0);
  if (p == MAP_FAILED) fail("mmap");
  map_ = static_cast<uint8_t*>(p);
  mapped_ = size;
}

uint8_t* Channel::reserve(std::size_t end) {
  if (end <= mapped_) return map_;
  struct stat st {};
  if (::fstat(region_fd_, &st) != 0) fail("fstat");
  std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size < end) {  // the peer may have grown it already; otherwise grow it here
    while (size < end) size *= 2;
    if (::ftruncate(region_fd_, static_cast<off_t>(size)) != 0) fail("ftruncate");
  }
  map_to(size);
  return map_;
}

void Channel::send(MessageType type, const Writer& payload) {
  const Header h{static_cast<uint32_t>(type), 0, payload.size()};
  for (;;) {
    const ssize_t n = ::send(socket_, &h, sizeof h, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof h)) return;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) throw ChannelClosed{};
    fail("send");
  }
}

Message Channel::receive(int timeout_ms) {
  pollfd p{socket_, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) break;
    if (r == 0) throw ChannelTimeout{};
    if (errno != EINTR) fail("poll");
  }
  Header h{};
  ssize_t n;
  do n = ::recv(socket_, &h, sizeof h, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && errno == ECONNRESET)) throw ChannelClosed{};
  if (n < 0) fail("recv");
  if (n != static_cast<ssize_t>(sizeof h)) throw ProtocolError{"a message header of " + std::to_string(n) + " bytes"};
  if (h.length > mapped_) {
    struct stat st {};
    if (::fstat(region_fd_, &st) != 0) fail("fstat");
    if (static_cast<uint64_t>(st.st_size) < h.length) throw ProtocolError{"a message longer than the shared region"};
    map_to(static_cast<std::size_t>(st.st_size));
  }
  return Message{static_cast<MessageType>(h.type), Reader(map_, static_cast<std::size_t>(h.length))};
}

}  // namespace dataflex::isolation
