#include "tests/support/raw_client.h"

namespace cuttle::test {

RawClient::RawClient(uint16_t port) : stream_(SocketStream::connectLoopback(port)) {}

bool RawClient::send(std::string_view bytes) { return stream_.write(bytes); }

HttpResponse RawClient::readResponse(std::string_view request_method) {
  return readHttpResponse(stream_, request_method);
}

std::string RawClient::readAll() {
  std::string out;
  stream_.readToEof(&out, "the proxy to close the connection");
  return out;
}

bool RawClient::isClosedByPeer(std::string* extra) {
  std::string got = stream_.takeBuffered();
  bool eof = stream_.waitForEof(&got);
  if (extra != nullptr) *extra = got;
  return eof && got.empty();
}

HttpResponse fetch(uint16_t proxy_port, std::string_view request, std::string_view request_method) {
  RawClient c(proxy_port);
  c.send(request);
  return c.readResponse(request_method);
}

std::string getRequest(std::string_view url, std::string_view extra, std::string_view method,
                       std::string_view version) {
  std::string authority(url);
  size_t scheme = authority.find("://");
  if (scheme != std::string::npos) authority.erase(0, scheme + 3);
  authority = authority.substr(0, authority.find('/'));
  std::string out;
  out += method;
  out += ' ';
  out += url;
  out += ' ';
  out += version;
  out += "\r\nHost: ";
  out += authority;
  out += "\r\n";
  out += extra;
  out += "\r\n";
  return out;
}

}  // namespace cuttle::test
