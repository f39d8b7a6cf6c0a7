#include "process_figures.h"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace mixcast::testing {

namespace {

// Numbered entries of a /proc directory (fd/, task/), -1 if unreadable.
long count_entries(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
  if (!dir) return -1;
  long count = 0;
  while (const dirent* entry = readdir(dir.get()))
    if (std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) ++count;
  return count;
}

}  // namespace

ProcessFigures read_process(pid_t pid) {
  ProcessFigures f;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream stat(proc + "/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after "pid (comm) ": state is 1, utime 12, stime 13.
  if (const auto close = line.rfind(')'); close != std::string::npos && close + 2 < line.size()) {
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string w; rest >> w;) fields.push_back(w);
    if (fields.size() > 13)
      f.cpu_s =
          double(std::stoll(fields[11]) + std::stoll(fields[12])) / double(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status(proc + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) f.hwm_kib = std::atol(line.c_str() + 6);
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::atol(line.c_str() + 6);
  }
  f.fds = count_entries(proc + "/fd");
  f.threads = count_entries(proc + "/task");
  return f;
}

}  // namespace mixcast::testing
