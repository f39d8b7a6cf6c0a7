// Takes branches that left the room's graph (a participant's bin, a viewer's
// bin) to NULL on a thread of their own. A departing peer's streaming thread
// may be waiting somewhere (webrtcbin holds its send streams until the peer
// is connected; a serialized query waits in a queue until the queue's own
// thread takes it); the state change waits for that thread, and the main
// loop, which serves every room and the HTTP server, must never wait with it.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>

#include "media/gst_ptr.h"

namespace mixcast::reaper {

// `element` is already out of every pipeline, and nothing of the room links
// to it. `done` runs on the main loop once it is in NULL (never, if a wait
// inside it never ends: then a warning says which branch is stuck).
void stop_in_background(GstPtr<GstElement> element, std::string what, std::function<void()> done);
// Branches still on their way to NULL.
int in_flight();
// Waits up to `timeout_s` for every branch to reach NULL; false if some did not.
bool wait_all(double timeout_s);

}  // namespace mixcast::reaper
