// Guards callbacks posted to the main loop against their target having gone:
// a posted lambda captures a Lifetime::Token and runs only while the owner lives.
#pragma once

#include <memory>

namespace mixcast {

class Lifetime {
 public:
  using Token = std::weak_ptr<const char>;
  Token token() const { return alive_; }
  static bool alive(const Token& token) { return !token.expired(); }

 private:
  std::shared_ptr<const char> alive_ = std::make_shared<const char>(0);
};

}  // namespace mixcast
