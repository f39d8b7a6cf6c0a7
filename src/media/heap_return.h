// Gives the memory freed by a teardown back to the system. glibc's malloc
// keeps what a departed guest's threads freed in its arenas, and only the
// top of an arena is ever returned on its own: after hundreds of joins the
// resident size of a server holds tens of MiB that nothing uses
// (bench/soak.sh). malloc_trim(0) returns every free page of every arena;
// it runs on the main loop a moment after teardowns, once for a burst of
// them.
#pragma once

#include <cstdint>

namespace mixcast::heap_return {

// Main loop: asks for a trim a couple of seconds from now (one for however
// many asks arrive before it runs).
void soon();
// Trims done, and the resident bytes they gave back (from any thread).
std::uint64_t trims();
std::uint64_t returned_bytes();

}  // namespace mixcast::heap_return
