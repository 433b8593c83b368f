#include "util/error.hpp"

namespace dataflex {

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string json_error_text(std::string message) {
  if (message.rfind("[json.exception.", 0) == 0 && message.find("] ") != std::string::npos)
    message = message.substr(message.find("] ") + 2);
  return one_line(std::move(message));
}

}  // namespace dataflex
