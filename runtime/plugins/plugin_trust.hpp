// plugin_trust.hpp -- whether a plugin's files may be trusted to be what their owner put there.
#pragma once

#include <string>

namespace dataflex {

// As sshd's StrictModes: the file and every folder above it must be owned by root or by this user,
// and writable by no one else -- not by every user, and not by a group unless it is the owner's own
// (primary) group. A world-writable folder with the sticky bit (/tmp) is accepted: others cannot
// replace the entries it holds. Returns why `path` is not trusted, or "" when it is.
std::string untrusted_reason(const std::string& path);

// The same over a plugin's manifest and library: throws dataflex::Error naming the manifest, the path
// and how to override (--allow-insecure-plugins) unless `allow_insecure`.
void check_plugin_files_trusted(const std::string& manifest_path, const std::string& library_path, bool allow_insecure);

}  // namespace dataflex
