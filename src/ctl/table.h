// Aligned text tables for a terminal, and the small formats of their cells.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mixcast::ctl {

// Columns two spaces apart, each as wide as its widest cell (counted in
// characters, not bytes), no trailing spaces. A row shorter than the header
// is padded with empty cells.
class Table {
 public:
  explicit Table(std::vector<std::string> header = {}) : header_(std::move(header)) {}
  // Control characters in a cell (a participant may name itself anything)
  // are shown as '?', so a name cannot break the table or drive the terminal.
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // "" when there is neither a header nor a row.
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Characters in UTF-8 text (continuation bytes not counted).
size_t display_width(std::string_view utf8);
// Control characters (C0, DEL) replaced by '?'.
std::string printable(std::string_view text);
// 0 B, 999 B, 1.0 KiB, 12.3 MiB, 1.5 GiB.
std::string human_bytes(int64_t bytes);
// 0:07, 1:02:03 (seconds rounded down); "-" when negative.
std::string human_duration(double seconds);
// 0.0 dB, -6.0 dB, +3.5 dB.
std::string human_db(double db);

}  // namespace mixcast::ctl
