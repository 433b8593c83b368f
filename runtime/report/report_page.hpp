// report_page.hpp -- report.html (one run) and the compare page (several runs overlaid): one
// self-contained HTML file each, charts as inline SVG, no request leaves the page (its Content-Security-
// Policy forbids any), readable while the run is still writing its logs.
#pragma once

#include <string>
#include <vector>

#include "report/run_record.hpp"

namespace dataflex {

std::string report_page(const RunRecord& run);
std::string compare_page(const std::vector<RunRecord>& runs);

// Reads `output_dir` and writes its report.html atomically; returns the file's path.
std::string write_run_report(const std::string& output_dir);

}  // namespace dataflex
