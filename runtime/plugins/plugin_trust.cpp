#include "plugins/plugin_trust.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace dataflex {
namespace {

std::string mode_string(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The owner's primary group: group-writable is fine when that group is the owner's own.
bool is_owners_group(uid_t owner, gid_t group) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  return ::getpwuid_r(owner, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_gid == group;
}

std::string check_one(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return p.string() + " cannot be examined";
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me)
    return p.string() + " is owned by uid " + std::to_string(st.st_uid) + ", neither root nor this user (uid " +
           std::to_string(me) + ")";
  const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
  if ((st.st_mode & S_IWOTH) && !sticky_dir)
    return p.string() + " is writable by every user (mode " + mode_string(st.st_mode) + ")";
  if ((st.st_mode & S_IWGRP) && !sticky_dir && !is_owners_group(st.st_uid, st.st_gid))
    return p.string() + " is writable by group " + std::to_string(st.st_gid) + ", which is not its owner's (mode " +
           mode_string(st.st_mode) + ")";
  return "";
}

}  // namespace

std::string untrusted_reason(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path + " cannot be examined";
  // The file itself (a symlink's target: what would be loaded), then each folder up to the root, as
  // written and as resolved: renaming any of them would let its writer swap the code.
  for (const fs::path& start : {p, fs::weakly_canonical(p, ec)}) {
    for (fs::path q = start; !q.empty(); q = q.parent_path()) {
      if (std::string why = check_one(q); !why.empty()) return why;
      if (q == q.root_path()) break;
    }
  }
  return "";
}

void check_plugin_files_trusted(const std::string& manifest_path, const std::string& library_path,
                                bool allow_insecure) {
  if (allow_insecure) return;
  for (const std::string& p : {manifest_path, library_path}) {
    std::error_code ec;
    if (!fs::exists(p, ec)) continue;  // a missing library is reported by the loader
    if (const std::string why = untrusted_reason(p); !why.empty())
      throw Error(manifest_path + ": refused: " + why +
                  ", so another user could change the plugin's code (fix the permissions, or pass "
                  "--allow-insecure-plugins)");
  }
}

}  // namespace dataflex
