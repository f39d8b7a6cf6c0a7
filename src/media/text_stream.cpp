#include "media/text_stream.h"

#include <utility>

namespace {

struct MixcastTextStream {
  GOutputStream parent;
  std::string* text;
  std::function<void(std::string)>* on_close;
};

struct MixcastTextStreamClass {
  GOutputStreamClass parent_class;
};

G_DEFINE_TYPE(MixcastTextStream, mixcast_text_stream, G_TYPE_OUTPUT_STREAM)

MixcastTextStream* self_of(gpointer stream) {
  return reinterpret_cast<MixcastTextStream*>(stream);
}

gssize text_stream_write(GOutputStream* stream, const void* buffer, gsize count, GCancellable*,
                         GError**) {
  self_of(stream)->text->append(static_cast<const char*>(buffer), count);
  return static_cast<gssize>(count);
}

gboolean text_stream_close(GOutputStream* stream, GCancellable*, GError**) {
  auto* self = self_of(stream);
  if (auto on_close = std::exchange(*self->on_close, nullptr)) on_close(std::move(*self->text));
  return TRUE;
}

void text_stream_finalize(GObject* object) {
  auto* self = self_of(object);
  delete self->text;
  delete self->on_close;
  G_OBJECT_CLASS(mixcast_text_stream_parent_class)->finalize(object);
}

void mixcast_text_stream_class_init(MixcastTextStreamClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = text_stream_finalize;
  G_OUTPUT_STREAM_CLASS(klass)->write_fn = text_stream_write;
  G_OUTPUT_STREAM_CLASS(klass)->close_fn = text_stream_close;
}

void mixcast_text_stream_init(MixcastTextStream* self) {
  self->text = new std::string;
  self->on_close = new std::function<void(std::string)>;
}

}  // namespace

namespace mixcast {

GOutputStream* text_stream_new(std::function<void(std::string text)> on_close) {
  auto* stream =
      static_cast<MixcastTextStream*>(g_object_new(mixcast_text_stream_get_type(), nullptr));
  *stream->on_close = std::move(on_close);
  return G_OUTPUT_STREAM(stream);
}

}  // namespace mixcast
