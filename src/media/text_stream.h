// A GOutputStream that collects what is written to it and hands the whole
// text to a callback when it is closed (or dropped). Elements that write a
// small file through a stream of ours (hlssink2's "get-playlist-stream")
// use it so that the text can be changed before it reaches the disk.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>

namespace mixcast {

// A new stream (full reference). `on_close` runs once, on the thread that
// closes the stream, with everything written to it.
GOutputStream* text_stream_new(std::function<void(std::string text)> on_close);

}  // namespace mixcast
