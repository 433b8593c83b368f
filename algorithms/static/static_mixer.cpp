// static: the fixed-mixture baseline. Proportions come from `proportions` (one per domain, in the
// order of the run's datasets), from `proportions_file` (a TOML file of `domain = value` lines), or are
// uniform when neither is given. They are normalised by the host; every decision returns the same.
#include <toml++/toml.h>
#include <dataflex/plugin.hpp>

#include <cmath>
#include <map>

namespace {

class StaticMixer : public dataflex::Mixer {
 public:
  explicit StaticMixer(const dataflex::PluginContext& ctx)
      : Mixer(ctx), list_(params().get_float_list("proportions")), file_(params().get_string("proportions_file")) {
    if (!list_.empty() && !file_.empty())
      throw dataflex::Error("give either 'proportions' or 'proportions_file', not both");
    if (!file_.empty()) by_name_ = read_file(file_);
  }

  std::vector<double> mix(const dfx_decision_context&, const DomainObservations& obs) override {
    const size_t k = obs.names.size();
    if (!list_.empty()) {
      if (list_.size() != k)
        throw dataflex::Error("'proportions' has " + std::to_string(list_.size()) + " values but the run has " +
                              std::to_string(k) + " domains");
      return list_;
    }
    if (!by_name_.empty()) {
      std::vector<double> p;
      for (const auto& name : obs.names) {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw dataflex::Error(file_ + ": no proportion for domain '" + name + "'");
        p.push_back(it->second);
      }
      for (const auto& [name, value] : by_name_) {
        bool used = false;
        for (const auto& n : obs.names) used = used || n == name;
        if (!used) throw dataflex::Error(file_ + ": domain '" + name + "' is not a domain of this run");
      }
      return p;
    }
    return std::vector<double>(k, 1.0 / double(k));
  }

 private:
  static std::map<std::string, double> read_file(const std::string& path) {
    toml::table t;
    try {
      t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      throw dataflex::Error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    std::map<std::string, double> out;
    for (const auto& [key, node] : t) {
      const auto v = node.value<double>();
      const int line = int(node.source().begin.line);
      if (!v || !std::isfinite(*v) || *v < 0)
        throw dataflex::Error(path + ":" + std::to_string(line) + ": '" + std::string(key.str()) +
                              "' must be a non-negative number");
      out[std::string(key.str())] = *v;
    }
    if (out.empty()) throw dataflex::Error(path + ": no `domain = proportion` lines");
    return out;
  }

  std::vector<double> list_;
  std::string file_;
  std::map<std::string, double> by_name_;
};

}  // namespace

DATAFLEX_PLUGIN(StaticMixer, "static", "1.0.0")
