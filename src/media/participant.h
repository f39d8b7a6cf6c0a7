// A participant as the room sees it: something that brings a video and/or an
// audio stream of raw media into the room's pipeline. Sources given by URI
// (files, cameras, test://) live here; the WebRTC issue adds webrtcbin peers
// behind the same interface.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>

#include "base/lifetime.h"
#include "core/source_uri.h"
#include "media/gst_ptr.h"

namespace mixcast {

class Participant {
 public:
  enum class Stream { Video, Audio };

  // The room. Every call arrives on the main loop.
  class Listener {
   public:
    // A raw stream is ready on `pad` (a src pad of the participant's bin):
    // link it to the mixers now.
    virtual void on_participant_stream(Participant& p, Stream stream, GstPad* pad) = 0;
    // No more streams will come (a participant without video shows a placeholder).
    virtual void on_participant_streams_complete(Participant& p) = 0;
    virtual void on_participant_video_size(Participant& p, int width, int height) = 0;
    // End of stream or an error: the room removes the participant.
    virtual void on_participant_ended(Participant& p, const std::string& reason) = 0;

   protected:
    ~Listener() = default;
  };

  Participant(std::string id, std::string display_name, std::string identity, Listener& listener);
  virtual ~Participant();
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  // Builds the participant's bin inside `pipeline` and starts it.
  void start(GstBin* pipeline);
  // Stops the participant's elements (and so its streaming threads and
  // signal callbacks). Called before destruction: subclass members must not
  // be gone while a streaming thread still calls into them.
  void stop();
  // The participant leaves the room's graph: no more calls to the listener,
  // every pad of the bin unlinked, the bin out of the pipeline (still
  // running). Returns the bin, for the caller to stop where a wait cannot
  // block the main loop (media/reaper); the object must outlive that stop.
  GstPtr<GstElement> detach();
  // Called by the room for a bus error from one of this participant's elements.
  void fail(const std::string& reason);
  // True when `object` is one of this participant's elements.
  bool owns(GstObject* object) const;

  // The exposed raw stream pad ("video"/"audio" ghost of the bin), if any.
  GstPtr<GstPad> stream_pad(Stream stream) const;

  const std::string& id() const { return id_; }
  const std::string& display_name() const { return display_name_; }
  // The operator renames the participant (main loop; the room relayouts).
  void set_display_name(std::string name) { display_name_ = std::move(name); }
  const std::string& identity() const { return identity_; }
  bool ended() const { return ended_; }

 protected:
  // Subclasses add their elements to bin() and call expose() for each raw
  // stream (any thread), then streams_complete() once all are known.
  virtual void build() = 0;
  GstBin* bin() const { return GST_BIN(bin_); }
  void expose(Stream stream, GstPad* inner_src);
  void streams_complete();
  Listener& listener() { return listener_; }
  Lifetime::Token token() const { return lifetime_.token(); }

 private:
  static GstPadProbeReturn on_first_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn on_event(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  void finish_expose(Stream stream, GstPad* ghost);

  std::string id_;
  std::string display_name_;
  std::string identity_;
  Listener& listener_;
  GstElement* bin_ = nullptr;  // owned by the pipeline while started; we hold a ref too
  GstBin* pipeline_ = nullptr;
  bool ended_ = false;

  // Files start at running time 0 although the room has been running for a
  // while: one offset, measured at the first buffer, moves both streams to
  // "now" together so that their sync is kept.
  std::mutex offset_mutex_;
  bool offset_known_ = false;
  gint64 offset_ = 0;

  Lifetime lifetime_;
};

// Builds a participant for a source URI (test://, file, rtsp, ...).
std::unique_ptr<Participant> make_source_participant(std::string id, std::string display_name,
                                                     std::string identity, const SourceUri& uri,
                                                     Participant::Listener& listener);

}  // namespace mixcast
