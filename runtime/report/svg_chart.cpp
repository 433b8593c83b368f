#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/axis_ticks.hpp"

namespace dataflex {
namespace {

constexpr double kWidth = 600, kHeight = 300;
constexpr double kLeft = 64, kRight = 150, kTop = 30, kBottom = 42;  // kRight holds the legend
constexpr std::size_t kMaxPoints = 1500;  // longer series are thinned (the last point is always kept)

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
};

struct Plot {
  Range x, y;
  std::vector<double> xt, yt;
  // Round ticks; the ranges grow to the outer ones.
  void fit() {
    const Axis ax = nice_axis(x.lo, x.hi), ay = nice_axis(y.lo, y.hi);
    x.lo = ax.lo, x.hi = ax.hi, xt = ax.ticks;
    y.lo = ay.lo, y.hi = ay.hi, yt = ay.ticks;
  }
  double px(double v) const { return kLeft + (v - x.lo) / (x.hi - x.lo) * (kWidth - kLeft - kRight); }
  double py(double v) const { return kHeight - kBottom - (v - y.lo) / (y.hi - y.lo) * (kHeight - kTop - kBottom); }
};

std::string open_svg(const ChartFrame& f) {
  return fmt::format(
      "<figure class=\"chart-box\"><svg class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"{}\"><text class=\"title\" x=\"{}\" y=\"18\">{}</text>",
      html_escape(f.id), kWidth, kHeight, kWidth, kHeight, html_escape(f.title), kLeft, html_escape(f.title));
}

std::string axes(const Plot& p, const ChartFrame& f) {
  std::string s = "<g class=\"axes\">";
  for (double t : p.yt)
    s += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/><text class=\"tick\" "
        "x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
        kLeft, kWidth - kRight, p.py(t), p.py(t), kLeft - 6, p.py(t) + 4, format_number(t));
  for (double t : p.xt)
    s += fmt::format(
        "<line class=\"tickmark\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/><text class=\"tick\" "
        "x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>",
        p.px(t), kHeight - kBottom, kHeight - kBottom + 5, kHeight - kBottom + 18, format_number(t));
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", kLeft, kTop,
                   kWidth - kLeft - kRight, kHeight - kTop - kBottom);
  s += fmt::format("<text class=\"label\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                   (kLeft + kWidth - kRight) / 2, kHeight - 6, html_escape(f.x_label));
  s += fmt::format(
      "<text class=\"label\" transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
      (kTop + kHeight - kBottom) / 2, html_escape(f.y_label));
  return s;
}

// At most `width` bytes, cut at a character boundary (UTF-8), with an ellipsis when cut.
std::string shortened(const std::string& label, std::size_t width) {
  if (label.size() <= width) return label;
  std::size_t cut = width - 1;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;
  return label.substr(0, cut) + "…";
}

std::string legend_entry(std::size_t row, const std::string& label, const std::string& colour, bool dashed,
                         double opacity = 1.0) {
  const double y = kTop + 8 + 16 * static_cast<double>(row);
  if (y > kHeight - 10) return {};  // more entries than fit: the marks' titles still name them
  return fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"3\" "
      "stroke-opacity=\"{8}\"{4}/>"
      "<text class=\"legend\" x=\"{5:.1f}\" y=\"{6:.1f}\">{7}</text>",
      kWidth - kRight + 10, kWidth - kRight + 28, y, colour, dashed ? " stroke-dasharray=\"4 3\"" : "",
      kWidth - kRight + 32, y + 4, html_escape(shortened(label, 20)), opacity);
}

std::string no_data(const ChartFrame& f) {
  return open_svg(f) +
         fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text></svg></figure>",
                     kWidth / 2, kHeight / 2);
}

// Indices of at most kMaxPoints points, evenly spread, the last included.
std::vector<std::size_t> thinned(std::size_t n) {
  std::vector<std::size_t> idx;
  const std::size_t stride = n > kMaxPoints ? (n + kMaxPoints - 1) / kMaxPoints : 1;
  for (std::size_t i = 0; i < n; i += stride) idx.push_back(i);
  if (n > 0 && idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

}  // namespace

const std::string& palette_colour(std::size_t i) {
  static const std::vector<std::string> kPalette = {
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
      "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
  return kPalette[i % kPalette.size()];
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return "–";
  if (v != 0 && (std::abs(v) >= 1e6 || std::abs(v) < 1e-3)) return fmt::format("{:.3g}", v);
  std::string s = fmt::format("{:.4g}", v);
  return s;
}

std::string svg_line_chart(const ChartFrame& frame, const std::vector<ChartLine>& lines) {
  Plot p;
  bool any = false;
  for (const auto& l : lines)
    for (std::size_t i = 0; i < l.y.size() && i < l.x.size(); ++i)
      if (std::isfinite(l.y[i])) p.x.add(l.x[i]), p.y.add(l.y[i]), any = true;
  for (const auto& l : lines)
    if (l.steps && !l.x.empty()) p.x.add(l.x.back());
  if (!any) return no_data(frame);
  if (frame.y_from_zero) p.y.add(0.0);
  p.fit();
  std::string s = open_svg(frame) + axes(p, frame);
  std::size_t row = 0;
  for (const auto& l : lines) {
    std::string d;
    std::size_t drawn = 0, last_drawn = 0;
    if (l.steps) {
      for (std::size_t i = 0; i + 1 < l.x.size() && i < l.y.size(); ++i, ++drawn)
        d += fmt::format("{}{:.1f} {:.1f}H{:.1f}", i == 0 ? "M" : "L", p.px(l.x[i]), p.py(l.y[i]), p.px(l.x[i + 1]));
    } else {
      for (std::size_t i : thinned(std::min(l.x.size(), l.y.size()))) {
        if (!std::isfinite(l.y[i])) continue;
        d += fmt::format("{}{:.1f} {:.1f}", drawn == 0 ? "M" : "L", p.px(l.x[i]), p.py(l.y[i]));
        last_drawn = i;
        ++drawn;
      }
    }
    if (drawn == 0) continue;
    const std::string style = fmt::format("stroke=\"{}\" stroke-opacity=\"{}\"{}", l.colour, l.opacity,
                                          l.dashed ? " stroke-dasharray=\"5 4\"" : "");
    if (drawn == 1 && !l.steps) {
      // One point: a dot, since a path of one point draws nothing.
      s += fmt::format(
          "<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{}</title></circle>",
          p.px(l.x[last_drawn]), p.py(l.y[last_drawn]), l.colour, html_escape(l.label));
    } else {
      s +=
          fmt::format("<path class=\"mark line\" d=\"{}\" {}><title>{}</title></path>", d, style, html_escape(l.label));
    }
    if (!l.label.empty()) s += legend_entry(row++, l.label, l.colour, l.dashed, l.opacity);
  }
  return s + "</svg></figure>";
}

std::string svg_stacked_area(const ChartFrame& frame, const std::vector<double>& x_all, double x_end,
                             const std::vector<AreaLayer>& layers_all) {
  if (x_all.empty() || layers_all.empty()) return no_data(frame);
  // A decision equal to the one before draws nothing new: only the changes are kept, and of a run with
  // more changes than the chart has pixels, evenly spread ones.
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < x_all.size(); ++i) {
    bool changed = i == 0;
    for (const auto& l : layers_all)
      if (i < l.y.size() && (changed || l.y[i] != l.y[i - 1])) changed = true;
    if (changed) keep.push_back(i);
  }
  std::vector<std::size_t> spread;
  for (std::size_t k : thinned(keep.size())) spread.push_back(keep[k]);
  std::vector<double> x;
  std::vector<AreaLayer> layers;
  for (std::size_t i : spread) x.push_back(x_all[i]);
  for (const auto& l : layers_all) {
    AreaLayer t{l.label, {}, l.colour};
    for (std::size_t i : spread) t.y.push_back(i < l.y.size() ? l.y[i] : 0.0);
    layers.push_back(std::move(t));
  }
  Plot p;
  p.x.add(x.front()), p.x.add(std::max(x_end, x.back())), p.y.add(0), p.y.add(1);
  p.fit();
  std::vector<double> totals(x.size(), 0.0), below(x.size(), 0.0);
  for (const auto& l : layers)
    for (std::size_t i = 0; i < x.size() && i < l.y.size(); ++i)
      if (std::isfinite(l.y[i]) && l.y[i] > 0) totals[i] += l.y[i];
  std::string s = open_svg(frame) + axes(p, frame);
  std::size_t row = 0;
  for (const auto& l : layers) {
    std::vector<double> top(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double v = i < l.y.size() && std::isfinite(l.y[i]) && l.y[i] > 0 && totals[i] > 0 ? l.y[i] / totals[i] : 0;
      top[i] = below[i] + v;
    }
    // Upper edge left to right as steps, lower edge back right to left.
    std::string d;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double right = i + 1 < x.size() ? x[i + 1] : std::max(x_end, x.back());
      d += fmt::format("{}{:.1f} {:.1f}H{:.1f}", i == 0 ? "M" : "L", p.px(x[i]), p.py(top[i]), p.px(right));
    }
    for (std::size_t k = x.size(); k-- > 0;) {
      const double right = k + 1 < x.size() ? x[k + 1] : std::max(x_end, x.back());
      d += fmt::format("L{:.1f} {:.1f}H{:.1f}", p.px(right), p.py(below[k]), p.px(x[k]));
    }
    s += fmt::format("<path class=\"mark area\" d=\"{}Z\" fill=\"{}\" fill-opacity=\"0.85\"><title>{}</title></path>",
                     d, l.colour, html_escape(l.label));
    s += legend_entry(row++, l.label, l.colour, false);
    below = top;
  }
  return s + "</svg></figure>";
}

}  // namespace dataflex
