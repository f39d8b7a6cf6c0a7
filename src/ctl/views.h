// The server's answers as people read them: tables of rooms, participants,
// outputs, recordings and layouts, and the short answers of the other
// commands. Pure: JSON text in, text for standard output out.
#pragma once

#include <stdexcept>
#include <string>

#include "ctl/api_request.h"

namespace mixcast::ctl {

// An answer that is not what the API documents (exit code 1).
class UnexpectedAnswer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a successful answer `body` prints for `request` without --json.
// Throws UnexpectedAnswer when the body is not the JSON the view expects.
std::string render(const ApiRequest& request, const std::string& body);

// The tables alone, from the JSON arrays of the API ("rooms", ...).
std::string rooms_table(const std::string& body);         // {"rooms": [Room]}
std::string participants_table(const std::string& body);  // {"participants": [...]}
std::string outputs_table(const std::string& body);       // {"outputs": [...]} or a Room
std::string recordings_table(const std::string& body);    // {"recordings": [...]}

}  // namespace mixcast::ctl
