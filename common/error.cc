#include "common/error.h"

#include <uv.h>

namespace cuttle {

std::string uvMessage(int status) { return uv_strerror(status); }

Error uvError(int status, std::string_view what, Side side) {
  std::string cause(what);
  cause += ": ";
  cause += uv_strerror(status);
  ErrorCode code = ErrorCode::kIo;
  if (side == Side::kUpstream) {
    code = status == UV_ETIMEDOUT ? ErrorCode::kConnectTimeout : ErrorCode::kConnectFailed;
  }
  return Error(code, side, std::move(cause));
}

}  // namespace cuttle
