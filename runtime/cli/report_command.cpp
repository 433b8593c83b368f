// dataflex-run report / compare: the report pages from output folders, at any time (a running run's
// logs are read as far as they got).
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "report/report_page.hpp"
#include "report/run_record.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex::cli {

int report_run(const std::string& output_dir, const std::string& out_file) {
  const RunRecord run = read_run_record(output_dir);
  const std::string path = out_file.empty() ? (std::filesystem::path(output_dir) / "report.html").string() : out_file;
  write_file_atomically(path, report_page(run));
  std::cout << "report: " << path << " (" << run.last_step << " of " << run.total_steps << " steps logged, "
            << run.decisions << " decisions" << (run.finished ? ", finished" : "") << ")\n";
  for (const auto& n : run.notes) std::cout << "  note: " << n << "\n";
  return 0;
}

int compare_runs(const std::vector<std::string>& output_dirs, const std::string& out_file) {
  std::vector<RunRecord> runs;
  for (const auto& d : output_dirs) runs.push_back(read_run_record(d));
  write_file_atomically(out_file, compare_page(runs));
  std::cout << "compare: " << out_file << " (" << runs.size() << " runs)\n";
  return 0;
}

}  // namespace dataflex::cli
