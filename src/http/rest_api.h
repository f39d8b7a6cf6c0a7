// The operator's REST API under /api/v1: routes a request to OperatorApi,
// reads its JSON (or YAML) body, and answers JSON with the status of each
// typed error. Reference: docs/http-api.md and docs/openapi.yaml.
#pragma once

#include <libsoup/soup.h>

#include <string>
#include <vector>

#include "http/operator_api.h"

namespace mixcast {

class RestApi {
 public:
  explicit RestApi(OperatorApi& api) : api_(api) {}

  // `path`: what follows "/api/v1/". The request may be answered later.
  void handle(SoupServerMessage* msg, const std::string& method, const std::string& path,
              GHashTable* query);

 private:
  void rooms(SoupServerMessage* msg, const std::string& method);
  void room(SoupServerMessage* msg, const std::string& method, const std::vector<std::string>& at,
            GHashTable* query);
  void participants(SoupServerMessage* msg, const std::string& method,
                    const std::vector<std::string>& at, GHashTable* query);
  void sources(SoupServerMessage* msg, const std::string& method,
               const std::vector<std::string>& at);
  void outputs(SoupServerMessage* msg, const std::string& method,
               const std::vector<std::string>& at);
  void recordings(SoupServerMessage* msg, const std::string& method,
                  const std::vector<std::string>& at);
  void layouts(SoupServerMessage* msg, const std::string& method,
               const std::vector<std::string>& at);
  void apply_layout(SoupServerMessage* msg, const std::string& method, const std::string& room);
  void tokens(SoupServerMessage* msg, const std::string& method);
  void reload(SoupServerMessage* msg, const std::string& method);
  // The room's status now (a copy), or throws NotFound.
  RoomStatus current(const std::string& room) const;
  // 200 with the room's document, or 404.
  void send_room(SoupServerMessage* msg, const std::string& name, int status = 200);

  OperatorApi& api_;
};

}  // namespace mixcast
