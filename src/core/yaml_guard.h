// yaml-cpp 0.7 (Debian 12's) never returns on some malformed documents: a
// ',' outside any flow collection at a document's top level (",", "a",b)
// makes it build nodes until memory runs out. Every reader (config,
// layouts, encoder profiles, the bodies of POST /api/v1/rooms and of the
// layout endpoints) runs this first: the document is walked as events, at
// most a few per input byte, which a well-formed document never exceeds.
#pragma once

#include <string>

namespace mixcast {

// Throws FileError (naming `file` and where the parser was) when yaml-cpp
// would not return on `text`. YAML errors are not reported here: the load
// that follows reports them with its own words.
void check_yaml_terminates(const std::string& text, const std::string& file);

}  // namespace mixcast
