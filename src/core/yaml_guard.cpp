#include "core/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include "core/errors.h"

namespace mixcast {

namespace {

struct Runaway {};

// Counts events and stops the parser (by throwing) past `limit`.
class CountingHandler final : public YAML::EventHandler {
 public:
  explicit CountingHandler(size_t limit) : limit_(limit) {}
  const YAML::Mark& last() const { return last_; }

  void OnDocumentStart(const YAML::Mark& mark) override { count(mark); }
  void OnDocumentEnd() override { count(last_); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { count(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { count(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    count(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    count(mark);
  }
  void OnSequenceEnd() override { count(last_); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    count(mark);
  }
  void OnMapEnd() override { count(last_); }

 private:
  void count(const YAML::Mark& mark) {
    last_ = mark;
    if (++events_ > limit_) throw Runaway{};
  }
  size_t limit_;
  size_t events_ = 0;
  YAML::Mark last_ = YAML::Mark::null_mark();
};

}  // namespace

void check_yaml_terminates(const std::string& text, const std::string& file) {
  // A real document has at most a start and an end per scalar or
  // collection, and every one of those takes at least one byte.
  CountingHandler handler(64 + 4 * text.size());
  std::istringstream in(text);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const Runaway&) {
    const YAML::Mark& at = handler.last();
    throw FileError(
        {FileIssue{file, at.is_null() ? 0 : at.line + 1, at.is_null() ? 0 : at.column + 1, "",
                   "malformed YAML that the parser cannot get out of (a ',' outside "
                   "any [list] or {mapping}?)"}});
  } catch (const YAML::Exception&) {
    // Reported by the load that follows.
  }
}

}  // namespace mixcast
