#include "report/report_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "report/svg_chart.hpp"
#include "util/atomic_file.hpp"

namespace dataflex {
namespace {

// No request may leave the page: nothing but its own inline style and script runs, images only inline.
constexpr const char* kHead = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} h2 {{ font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }}
.status {{ color: #555; margin-bottom: 12px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure.chart-box {{ margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 4px; }}
svg.chart text {{ font-size: 11px; fill: #333; }} svg.chart text.title {{ font-size: 13px; font-weight: 600; }}
svg.chart .grid {{ stroke: #eee; }} svg.chart .tickmark {{ stroke: #999; }}
svg.chart .frame {{ fill: none; stroke: #bbb; }} svg.chart .line {{ fill: none; stroke-width: 1.8; }}
svg.chart text.empty {{ fill: #999; font-size: 14px; }}
table {{ border-collapse: collapse; margin: 6px 0; }} td, th {{ border: 1px solid #ddd; padding: 3px 8px; text-align: left; }}
th {{ background: #f6f6f6; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
pre {{ background: #f7f7f7; padding: 10px; overflow: auto; max-height: 480px; }}
.absent {{ color: #777; }} .notes li {{ color: #a33; }}
</style></head>
<body>
)";

// After load, each chart's drawn marks (non-empty boxes) are counted into body[data-drawn]: what a
// headless browser's DOM dump shows of the rendering.
constexpr const char* kFoot = R"(<script>
window.addEventListener('load', function () {
  var drawn = {};
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var n = 0;
    svg.querySelectorAll('.mark').forEach(function (m) {
      var b = m.getBBox();
      if (b.width > 0 || b.height > 0) n++;
    });
    drawn[svg.getAttribute('data-chart')] = n;
  });
  document.body.setAttribute('data-drawn', JSON.stringify(drawn));
});
</script>
</body></html>
)";

std::string num_cell(const nlohmann::ordered_json& v) {
  return v.is_number() ? "<td class=\"num\">" + format_number(v.get<double>()) + "</td>" : "<td class=\"num\">–</td>";
}

double end_step(const RunRecord& r) {
  return static_cast<double>(std::max(r.total_steps > 0 ? r.total_steps : r.last_step, r.last_step));
}

std::string status_line(const RunRecord& r) {
  std::string s = r.finished
                      ? fmt::format("finished: {} steps", r.last_step)
                      : fmt::format("in progress or stopped: logged up to step {} of {}", r.last_step, r.total_steps);
  if (!r.train_type.empty()) s += " · " + r.train_type;
  if (!r.plugin.empty()) s += " · plugin " + r.plugin;
  s += fmt::format(" · {} decisions", r.decisions);
  if (r.plugin_failures > 0) s += fmt::format(" · {} plugin failures survived", r.plugin_failures);
  return html_escape(s);
}

ChartLine line_of(const std::string& label, const TimeSeries& t, const std::string& colour) {
  return ChartLine{label, t.steps, t.values, colour};
}

const TimeSeries* find(const NamedSeries& s, const std::string& name) {
  for (const auto& [n, t] : s.items())
    if (n == name) return &t;
  return nullptr;
}

// The layers of a stacked area from series sharing their steps (the decisions').
std::string stacked(const ChartFrame& f, const NamedSeries& s, double x_end) {
  if (s.empty()) return svg_stacked_area(f, {}, x_end, {});
  std::vector<AreaLayer> layers;
  std::size_t i = 0;
  for (const auto& [name, t] : s.items()) layers.push_back({name, t.values, palette_colour(i++)});
  return svg_stacked_area(f, s.items().front().second.steps, x_end, layers);
}

std::string section(const std::string& title, const std::vector<std::string>& charts) {
  std::string s = "<h2>" + html_escape(title) + "</h2><div class=\"charts\">";
  for (const auto& c : charts) s += c;
  return s + "</div>\n";
}

std::string absent_line(const std::vector<std::string>& absent) {
  if (absent.empty()) return "";
  std::string s = "<p class=\"absent\">Not in this run: ";
  for (std::size_t i = 0; i < absent.size(); ++i) s += (i ? "; " : "") + html_escape(absent[i]);
  return s + ".</p>\n";
}

std::string score_histogram_chart(const std::string& id, const std::vector<ScoreHistogram>& hs) {
  // The first, the last and up to two between: how the scores' spread moved over the run.
  std::vector<std::size_t> pick;
  if (!hs.empty()) {
    const std::size_t n = hs.size();
    for (std::size_t k : {std::size_t{0}, n / 3, 2 * n / 3, n - 1})
      if (std::find(pick.begin(), pick.end(), k) == pick.end()) pick.push_back(k);
  }
  std::vector<ChartLine> lines;
  std::size_t c = 0;
  for (std::size_t k : pick) {
    const ScoreHistogram& h = hs[k];
    if (h.counts.empty()) continue;
    ChartLine l{fmt::format("step {}", h.step), {}, h.counts, palette_colour(c++)};
    l.steps = true;
    const double width = h.hi > h.lo ? (h.hi - h.lo) / static_cast<double>(h.counts.size()) : 1.0;
    for (std::size_t b = 0; b <= h.counts.size(); ++b) l.x.push_back(h.lo + width * static_cast<double>(b));
    lines.push_back(std::move(l));
  }
  return svg_line_chart({id, "Scores of the selected samples", "score", "samples", true}, lines);
}

std::string provenance_table(const RunRecord& r) {
  if (!r.provenance.is_array() || r.provenance.empty())
    return "<p class=\"absent\">No plugin was loaded (plugins.json).</p>";
  std::string s = "<table><tr><th>plugin</th><th>version</th><th>from step</th><th>SHA-256</th><th>library</th></tr>";
  for (const auto& p : r.provenance) {
    auto str = [&](const char* k) {
      return p.contains(k) ? html_escape(p[k].is_string() ? p[k].get<std::string>() : p[k].dump()) : std::string("–");
    };
    s += "<tr><td>" + str("name") + "</td><td>" + str("version") + "</td><td>" + str("from_step") + "</td><td><code>" +
         str("sha256") + "</code></td><td>" + str("library") + "</td></tr>";
  }
  return s + "</table>";
}

std::string results_table(const RunRecord& r) {
  if (!r.results.is_object()) return "";
  std::string s = "<table><tr><th>result</th><th>value</th></tr>";
  for (auto it = r.results.begin(); it != r.results.end(); ++it)
    s += "<tr><td>" + html_escape(it.key()) + "</td>" + num_cell(it.value()) + "</tr>";
  return s + "</table>";
}

std::string notes_list(const std::vector<std::string>& notes) {
  if (notes.empty()) return "";
  std::string s = "<ul class=\"notes\">";
  for (const auto& n : notes) s += "<li>" + html_escape(n) + "</li>";
  return s + "</ul>";
}

std::string config_block(const RunRecord& r) {
  if (r.config_toml.empty()) return "<p class=\"absent\">run_config.toml is not in the folder.</p>";
  return "<details open><summary>run_config.toml</summary><pre>" + html_escape(r.config_toml) + "</pre></details>";
}

}  // namespace

std::string report_page(const RunRecord& r) {
  std::string page = fmt::format(fmt::runtime(kHead), html_escape("DataFlex run " + r.label));
  page += "<h1>" + html_escape(r.label) + "</h1><div class=\"status\">" + status_line(r) + "</div>\n";
  page += notes_list(r.notes) + results_table(r);
  const double x_end = end_step(r);
  std::vector<std::string> absent;

  std::vector<std::string> loss;
  if (const TimeSeries* t = find(r.train, "loss")) {
    ChartLine raw = line_of("original", *t, palette_colour(0));
    raw.opacity = 0.4;
    ChartLine smooth = line_of("smoothed", *t, palette_colour(0));
    smooth.y = smooth_like_llamafactory(t->values);
    loss.push_back(svg_line_chart({"train_loss", "Training loss", "step", "loss"}, {raw, smooth}));
  }
  if (!r.eval_loss.empty())
    loss.push_back(svg_line_chart({"eval_loss", "Eval loss", "step", "eval_loss"},
                                  {line_of("eval_loss", r.eval_loss, palette_colour(1))}));
  else
    absent.push_back("eval loss (no evaluation logged)");
  if (!r.eval_domain_loss.empty()) {
    std::vector<ChartLine> lines;
    std::size_t i = 0;
    for (const auto& [d, t] : r.eval_domain_loss.items()) lines.push_back(line_of(d, t, palette_colour(i++)));
    loss.push_back(svg_line_chart({"eval_domain_loss", "Eval loss per domain", "step", "loss"}, lines));
  } else {
    absent.push_back("per-domain eval loss");
  }
  page += section("Loss", loss);

  std::vector<std::string> optim;
  if (const TimeSeries* t = find(r.train, "lr"))
    optim.push_back(
        svg_line_chart({"learning_rate", "Learning rate", "step", "lr", true}, {line_of("lr", *t, palette_colour(2))}));
  if (const TimeSeries* t = find(r.train, "throughput"))
    optim.push_back(svg_line_chart({"throughput", "Throughput", "step", "tokens/s", true},
                                   {line_of("tokens/s", *t, palette_colour(4))}));
  if (const TimeSeries* t = find(r.train, "grad_norm"))
    optim.push_back(svg_line_chart({"grad_norm", "Gradient norm", "step", "norm", true},
                                   {line_of("grad_norm", *t, palette_colour(5))}));
  page += section("Optimisation", optim);

  std::vector<std::string> data;
  if (!r.proportions.empty())
    data.push_back(
        stacked({"proportions", "Domain proportions (mixture decisions)", "step", "share"}, r.proportions, x_end));
  else
    absent.push_back("domain proportions (no mixture decisions)");
  if (!r.selected_share.empty()) {
    data.push_back(
        stacked({"selected_share", "Selected samples per domain", "step", "share"}, r.selected_share, x_end));
    if (!r.score_histograms.empty()) data.push_back(score_histogram_chart("score_histogram", r.score_histograms));
  } else {
    absent.push_back("selection statistics (no selection decisions)");
  }
  if (!r.weights.empty()) {
    std::vector<ChartLine> lines;
    std::size_t i = 0;
    for (const char* k : {"min", "mean", "max"})
      if (const TimeSeries* t = find(r.weights, k)) lines.push_back(line_of(k, *t, palette_colour(i++)));
    data.push_back(svg_line_chart({"weights", "Sample weights per batch", "step", "weight"}, lines));
    if (const TimeSeries* t = find(r.weights, "entropy"))
      data.push_back(svg_line_chart({"weight_entropy", "Entropy of the weights", "step", "nats"},
                                    {line_of("entropy", *t, palette_colour(3))}));
  } else {
    absent.push_back("weight statistics (no weighting decisions)");
  }
  std::size_t shown = 0;
  constexpr std::size_t kMaxMetricCharts = 12;  // a plugin recording dozens of values: the first twelve
  if (r.plugin_metrics.items().size() > kMaxMetricCharts)
    absent.push_back(
        fmt::format("charts of the plugin's metrics after the first {} (of {}; trainer_log.jsonl has them)",
                    kMaxMetricCharts, r.plugin_metrics.items().size()));
  for (const auto& [name, t] : r.plugin_metrics.items()) {
    if (shown++ == kMaxMetricCharts) break;
    data.push_back(svg_line_chart({"plugin_metric_" + name, "Plugin: " + name, "decision step", name},
                                  {line_of(name, t, palette_colour(6))}));
  }
  page += section("Data decisions", data) + absent_line(absent);

  page += "<h2>Plugin provenance</h2>" + provenance_table(r);
  page += "<h2>Config</h2>" + config_block(r);
  return page + kFoot;
}

std::string compare_page(const std::vector<RunRecord>& runs_in) {
  // Runs in folders of one name (a/run, b/run) are told apart by their parent folder.
  std::vector<RunRecord> runs = runs_in;
  for (auto& r : runs) {
    const auto same =
        std::count_if(runs_in.begin(), runs_in.end(), [&](const RunRecord& o) { return o.label == r.label; });
    if (same > 1) {
      const auto abs = std::filesystem::absolute(r.dir).lexically_normal();
      const auto parent = (abs.filename().empty() ? abs.parent_path() : abs).parent_path().filename().string();
      r.label = parent + "/" + r.label;
    }
  }
  std::string names;
  for (const auto& r : runs) names += (names.empty() ? "" : ", ") + r.label;
  std::string page = fmt::format(fmt::runtime(kHead), html_escape("DataFlex runs: " + names));
  page += fmt::format("<h1>{} runs compared</h1>\n", runs.size());

  // The final (or latest) values side by side.
  std::vector<std::string> domains;
  for (const auto& r : runs)
    for (const auto& [d, t] : r.eval_domain_loss.items())
      if (std::find(domains.begin(), domains.end(), d) == domains.end()) domains.push_back(d);
  // Every column is the last value logged (a finished run's all_results.json has the run's mean train loss).
  page += "<table><tr><th>run</th><th>status</th><th>last logged train loss</th><th>last eval loss</th>";
  for (const auto& d : domains) page += "<th>eval " + html_escape(d) + "</th>";
  page += "</tr>";
  for (const auto& r : runs) {
    auto last = [](const TimeSeries* t) {
      return t && !t->empty() ? nlohmann::ordered_json(t->values.back()) : nlohmann::ordered_json();
    };
    const nlohmann::ordered_json train_loss = last(find(r.train, "loss"));
    page += "<tr><td>" + html_escape(r.label) + "</td><td>" + status_line(r) + "</td>" + num_cell(train_loss) +
            num_cell(last(&r.eval_loss));
    for (const auto& d : domains) page += num_cell(last(find(r.eval_domain_loss, d)));
    page += "</tr>";
  }
  page += "</table>";

  auto overlay = [&](const std::string& id, const std::string& title, const std::string& y_label, auto series_of,
                     bool smooth) {
    std::vector<ChartLine> lines;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const TimeSeries* t = series_of(runs[i]);
      if (!t || t->empty()) continue;
      ChartLine l = line_of(runs[i].label, *t, palette_colour(i));
      if (smooth) {
        ChartLine raw = l;
        raw.opacity = 0.25;
        raw.label += " (original)";
        lines.push_back(raw);
        l.y = smooth_like_llamafactory(t->values);
      }
      lines.push_back(l);
    }
    return svg_line_chart({id, title, "step", y_label}, lines);
  };
  std::vector<std::string> loss = {
      overlay(
          "train_loss", "Training loss (smoothed)", "loss", [](const RunRecord& r) { return find(r.train, "loss"); },
          true),
      overlay(
          "eval_loss", "Eval loss", "eval_loss", [](const RunRecord& r) { return &r.eval_loss; }, false)};
  constexpr std::size_t kMaxDomainCharts = 16;
  if (domains.size() > kMaxDomainCharts)
    page += fmt::format(
        "<p class=\"absent\">Eval loss charts of the domains after the first {} (of {}) are left out; the "
        "table has them all.</p>",
        kMaxDomainCharts, domains.size());
  for (std::size_t d = 0; d < domains.size() && d < kMaxDomainCharts; ++d)
    loss.push_back(overlay(
        "eval_domain_loss_" + domains[d], "Eval loss: " + domains[d], "loss",
        [&](const RunRecord& r) { return find(r.eval_domain_loss, domains[d]); }, false));
  page += section("Loss", loss);
  page += section("Optimisation", {overlay(
                                       "learning_rate", "Learning rate", "lr",
                                       [](const RunRecord& r) { return find(r.train, "lr"); }, false),
                                   overlay(
                                       "throughput", "Throughput", "tokens/s",
                                       [](const RunRecord& r) { return find(r.train, "throughput"); }, false)});

  std::vector<std::string> data;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& r = runs[i];
    if (!r.proportions.empty())
      data.push_back(stacked({fmt::format("proportions_{}", i), "Proportions: " + r.label, "step", "share"},
                             r.proportions, end_step(r)));
    if (!r.selected_share.empty())
      data.push_back(stacked({fmt::format("selected_share_{}", i), "Selected: " + r.label, "step", "share"},
                             r.selected_share, end_step(r)));
  }
  const bool any_weights = std::any_of(runs.begin(), runs.end(), [](const RunRecord& r) { return !r.weights.empty(); });
  if (any_weights) {
    data.push_back(overlay(
        "weight_mean", "Mean sample weight", "weight", [](const RunRecord& r) { return find(r.weights, "mean"); },
        false));
    data.push_back(overlay(
        "weight_entropy", "Entropy of the weights", "nats",
        [](const RunRecord& r) { return find(r.weights, "entropy"); }, false));
  }
  if (!data.empty()) page += section("Data decisions", data);

  for (const auto& r : runs) {
    page += "<h2>" + html_escape(r.label) + "</h2><p>" + html_escape(r.dir) + "</p>" + notes_list(r.notes) +
            provenance_table(r);
    page += "<details><summary>run_config.toml</summary><pre>" + html_escape(r.config_toml) + "</pre></details>";
  }
  return page + kFoot;
}

std::string write_run_report(const std::string& output_dir) {
  const std::string path = (std::filesystem::path(output_dir) / "report.html").string();
  write_file_atomically(path, report_page(read_run_record(output_dir)));
  return path;
}

}  // namespace dataflex
