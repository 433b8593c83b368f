// fuzz_support.hpp -- what every libFuzzer target shares: a scratch folder for the file the parser
// reads, and the rule a finding is judged by.
//
// The parsers under test read files, so each input is written to a file in a per-process scratch
// folder and the public loader is called on it, exactly as dataflex-run calls it. Bad input must end
// in a dataflex::Error of one line; anything else -- a crash, a sanitizer report, another exception
// type escaping, a message over several lines -- is a finding, and the target aborts so that
// libFuzzer saves the input.
#pragma once

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "util/error.hpp"

namespace dataflex::fuzz {

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/dataflex-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    // The folder goes when the fuzzer exits normally; a crash leaves it for the post-mortem.
    static const std::string keep = pattern;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

inline std::string write_input(const std::string& name, const uint8_t* data, size_t size) {
  const auto path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

inline std::string write_text(const std::string& name, const std::string& text) {
  return write_input(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

[[noreturn]] inline void finding(const char* what, const std::string& message) {
  std::fprintf(stderr, "FINDING: %s: %s\n", what, message.c_str());
  std::abort();
}

// Runs `body`; a dataflex::Error of one line is the expected answer to bad input.
template <typename Body>
void expect_clean_failure(Body&& body) {
  try {
    body();
  } catch (const dataflex::Error& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) finding("an error message over several lines", message);
    if (message.empty()) finding("an empty error message", message);
  } catch (const std::exception& e) {
    finding("an exception other than dataflex::Error escaped", e.what());
  } catch (...) {
    finding("a non-standard exception escaped", "");
  }
}

}  // namespace dataflex::fuzz
