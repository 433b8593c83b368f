#include "report/loss_plot.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "data/utf8.hpp"
#include "report/axis_ticks.hpp"
#include "report/run_record.hpp"
#include "report/svg_chart.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {

// Matplotlib's default axes box in a 640 x 480 figure, and its first colour (#1f77b4).
constexpr double kLeft = 80, kRight = 576, kTop = 58, kBottom = 427;
constexpr double kBlue[3] = {0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0};

struct Points {
  std::vector<double> steps, values;
};

Points points_of(const nlohmann::json& history, const std::string& key) {
  Points p;
  for (const auto& h : history)
    if (h.is_object() && h.contains(key) && h[key].is_number() && h.contains("step") && h["step"].is_number()) {
      p.steps.push_back(h["step"].get<double>());
      p.values.push_back(h[key].get<double>());
    }
  return p;
}

void text(cairo_t* cr, const std::string& s, double x, double y, double size, double align_x, double align_y,
          bool vertical = false) {
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  if (vertical) cairo_rotate(cr, -M_PI / 2);
  cairo_move_to(cr, -e.x_bearing - e.width * align_x, -e.y_bearing - e.height * align_y);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void draw_plot(cairo_t* cr, const Points& p, const std::string& key, const std::string& title) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  const auto [xmin, xmax] = std::minmax_element(p.steps.begin(), p.steps.end());
  const auto [ymin, ymax] = std::minmax_element(p.values.begin(), p.values.end());
  const Axis ax = nice_axis(*xmin, *xmax), ay = nice_axis(*ymin, *ymax);
  auto px = [&](double v) { return kLeft + (v - ax.lo) / (ax.hi - ax.lo) * (kRight - kLeft); };
  auto py = [&](double v) { return kBottom - (v - ay.lo) / (ay.hi - ay.lo) * (kBottom - kTop); };

  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 0.8);
  for (double t : ax.ticks) {
    cairo_move_to(cr, px(t), kBottom);
    cairo_line_to(cr, px(t), kBottom + 4);
    text(cr, format_number(t), px(t), kBottom + 8, 10, 0.5, 0);
  }
  for (double t : ay.ticks) {
    cairo_move_to(cr, kLeft - 4, py(t));
    cairo_line_to(cr, kLeft, py(t));
    text(cr, format_number(t), kLeft - 7, py(t), 10, 1, 0.5);
  }
  cairo_stroke(cr);
  cairo_rectangle(cr, kLeft, kTop, kRight - kLeft, kBottom - kTop);
  cairo_stroke(cr);
  text(cr, "step", (kLeft + kRight) / 2, kBottom + 26, 11, 0.5, 0);
  text(cr, key, 18, (kTop + kBottom) / 2, 11, 0.5, 0.5, true);
  text(cr, title, (kLeft + kRight) / 2, kTop - 10, 12, 0.5, 1);

  // The logged values faint, their smoothing solid, clipped to the axes box.
  const std::vector<double> smoothed = smooth_like_llamafactory(p.values);
  cairo_save(cr);
  cairo_rectangle(cr, kLeft, kTop, kRight - kLeft, kBottom - kTop);
  cairo_clip(cr);
  cairo_set_line_width(cr, 1.5);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<double>& ys = pass == 0 ? p.values : smoothed;
    cairo_set_source_rgba(cr, kBlue[0], kBlue[1], kBlue[2], pass == 0 ? 0.4 : 1.0);
    if (ys.size() == 1) {
      cairo_arc(cr, px(p.steps[0]), py(ys[0]), 3, 0, 2 * M_PI);
      cairo_fill(cr);
      continue;
    }
    for (std::size_t i = 0; i < ys.size(); ++i) (i == 0 ? cairo_move_to : cairo_line_to)(cr, px(p.steps[i]), py(ys[i]));
    cairo_stroke(cr);
  }
  cairo_restore(cr);

  // Legend, upper right.
  const double lx = kRight - 110, ly = kTop + 10;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, lx, ly, 100, 42);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
  cairo_set_line_width(cr, 0.8);
  cairo_stroke(cr);
  for (int row = 0; row < 2; ++row) {
    const double y = ly + 13 + 17 * row;
    cairo_set_source_rgba(cr, kBlue[0], kBlue[1], kBlue[2], row == 0 ? 0.4 : 1.0);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, lx + 8, y);
    cairo_line_to(cr, lx + 32, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, row == 0 ? "original" : "smoothed", lx + 38, y, 10, 0, 0.5);
  }
}

// cairo's text calls put the context in an error state on invalid UTF-8 (a folder name in another
// encoding): invalid bytes are replaced, as a terminal would show them.
std::string printable(const std::string& text) { return utf8::make_valid(text); }

}  // namespace

std::vector<std::string> plot_losses(const std::string& output_dir, const nlohmann::json& log_history,
                                     std::vector<std::string>* skipped) {
  std::vector<std::string> written;
  for (const std::string key : {"loss", "eval_loss"}) {
    const Points p = points_of(log_history, key);
    if (p.values.empty()) {
      if (skipped) skipped->push_back(key);
      continue;
    }
    std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, kLossPlotWidth, kLossPlotHeight), &cairo_surface_destroy);
    std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface.get()), &cairo_destroy);
    draw_plot(cr.get(), p, key, fmt::format("training {} of {}", key, printable(output_dir)));
    cairo_surface_flush(surface.get());
    if (const cairo_status_t st = cairo_status(cr.get()); st != CAIRO_STATUS_SUCCESS)
      throw Error(output_dir + ": cannot draw the loss plot (" + cairo_status_to_string(st) + ")");
    // Written beside, then renamed: a reader never sees half a PNG.
    const fs::path file = fs::path(output_dir) / ("training_" + key + ".png");
    write_atomically_with(file.string(), [&](const std::string& tmp) {
      if (const cairo_status_t st = cairo_surface_write_to_png(surface.get(), tmp.c_str()); st != CAIRO_STATUS_SUCCESS)
        throw Error(tmp + ": cannot write the loss plot (" + cairo_status_to_string(st) + ")");
    });
    written.push_back(file.string());
  }
  return written;
}

}  // namespace dataflex
