// axis_ticks.hpp -- an axis for a range of values: round tick values (1, 2 or 5 times a power of ten)
// covering it, shared by the SVG charts and the PNG loss plots.
#pragma once

#include <vector>

namespace dataflex {

struct Axis {
  double lo = 0, hi = 1;      // grown to the outer ticks
  std::vector<double> ticks;  // about five
};

// A flat or empty range (lo >= hi, or not finite) gets some height around its value.
Axis nice_axis(double lo, double hi);

}  // namespace dataflex
