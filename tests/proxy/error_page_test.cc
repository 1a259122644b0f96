#include "proxy/error_page.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace cuttle::proxy {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

const Side kAllSides[] = {Side::kClient, Side::kUpstream, Side::kCache,
                          Side::kDns,    Side::kInternal, Side::kConfig};

int statusFor(ErrorCode code, Side side) { return httpStatusFor(Error(code, side, "why")); }

// The body that follows the head: everything after the first CRLF CRLF.
std::string bodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

// ---- httpStatusFor --------------------------------------------------------------------------

TEST(ErrorPage, StatusDoesNotDependOnSideForMostCodes) {
  struct Case {
    ErrorCode code;
    int status;
  };
  const Case cases[] = {
      {ErrorCode::kBadRequest, 400},          {ErrorCode::kForbidden, 403},
      {ErrorCode::kRequestTimeout, 408},      {ErrorCode::kBodyTooLarge, 413},
      {ErrorCode::kUriTooLong, 414},          {ErrorCode::kNotImplemented, 501},
      {ErrorCode::kVersionNotSupported, 505}, {ErrorCode::kConnectFailed, 502},
      {ErrorCode::kBadResponse, 502},         {ErrorCode::kUpstreamClosed, 502},
      {ErrorCode::kDnsFailed, 502},           {ErrorCode::kServiceUnavailable, 503},
      {ErrorCode::kConnectTimeout, 504},      {ErrorCode::kUpstreamTimeout, 504},
      {ErrorCode::kDnsTimeout, 504},          {ErrorCode::kGatewayTimeout, 504},
  };
  for (const Case& c : cases) {
    for (Side side : kAllSides) {
      EXPECT_EQ(statusFor(c.code, side), c.status)
          << "code " << int(c.code) << " side " << int(side);
    }
  }
}

TEST(ErrorPage, HeadersTooLargeIs431OnlyForTheClient) {
  // Request headers too large: 431 (RFC 6585 5). Response headers too large: the origin's
  // fault, 502.
  EXPECT_EQ(statusFor(ErrorCode::kHeadersTooLarge, Side::kClient), 431);
  EXPECT_EQ(statusFor(ErrorCode::kHeadersTooLarge, Side::kUpstream), 502);
  EXPECT_EQ(statusFor(ErrorCode::kHeadersTooLarge, Side::kDns), 502);
  EXPECT_EQ(statusFor(ErrorCode::kHeadersTooLarge, Side::kInternal), 502);
}

TEST(ErrorPage, GenericCodesDependOnTheSide) {
  for (ErrorCode code : {ErrorCode::kClientClosed, ErrorCode::kIo, ErrorCode::kInvalidArgument,
                         ErrorCode::kNotFound, ErrorCode::kInternal}) {
    EXPECT_EQ(statusFor(code, Side::kUpstream), 502) << int(code);
    EXPECT_EQ(statusFor(code, Side::kDns), 502) << int(code);
    EXPECT_EQ(statusFor(code, Side::kClient), 500) << int(code);
    EXPECT_EQ(statusFor(code, Side::kCache), 500) << int(code);
    EXPECT_EQ(statusFor(code, Side::kInternal), 500) << int(code);
    EXPECT_EQ(statusFor(code, Side::kConfig), 500) << int(code);
  }
}

TEST(ErrorPage, EveryCodeMapsToAnErrorStatus) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    for (Side side : kAllSides) {
      const int status = statusFor(static_cast<ErrorCode>(c), side);
      EXPECT_GE(status, 400) << c;
      EXPECT_LE(status, 505) << c;
    }
  }
}

// ---- buildErrorResponse -----------------------------------------------------------------------

TEST(ErrorPage, ExactBytesOfAnErrorPage) {
  ErrorPageOptions o;
  o.date = kDate;
  const std::string body = "cuttle: 502 Bad Gateway: connect to a.example:80: connection refused\n";
  EXPECT_EQ(buildErrorResponse(502, "connect to a.example:80: connection refused", o),
            "HTTP/1.1 502 Bad Gateway\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: cuttle\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: " +
                std::to_string(body.size()) +
                "\r\n"
                "Cache-Control: no-store\r\n"
                "Connection: close\r\n"
                "\r\n" +
                body);
}

TEST(ErrorPage, ViaKeepAliveAndCacheStatus) {
  ErrorPageOptions o;
  o.date = kDate;
  o.keep_alive = true;
  o.via_host = "proxy.test";
  o.cache_status = "cuttle; fwd=miss";
  const std::string body = "cuttle: 504 Gateway Timeout: no response\n";
  EXPECT_EQ(buildErrorResponse(504, "no response", o),
            "HTTP/1.1 504 Gateway Timeout\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: cuttle\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 41\r\n"
            "Cache-Control: no-store\r\n"
            "Via: 1.1 proxy.test\r\n"
            "Cache-Status: cuttle; fwd=miss\r\n"
            "Connection: keep-alive\r\n"
            "\r\n" +
                body);
  EXPECT_EQ(body.size(), 41u);
}

TEST(ErrorPage, KeepAliveIsAnnouncedSoThatHttp10ClientsPersist) {
  // RFC 9112 9.3: an HTTP/1.0 client keeps the connection only when the response says
  // keep-alive; the page does not know the client's version, so it always says it.
  ErrorPageOptions o;
  o.date = kDate;
  o.keep_alive = true;
  const std::string page = buildErrorResponse(400, "bad", o);
  EXPECT_NE(page.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << page;
  EXPECT_EQ(page.find("close"), std::string::npos) << page;
  o.keep_alive = false;
  const std::string closing = buildErrorResponse(400, "bad", o);
  EXPECT_NE(closing.find("\r\nConnection: close\r\n"), std::string::npos) << closing;
  EXPECT_EQ(closing.find("keep-alive"), std::string::npos) << closing;
}

TEST(ErrorPage, ContentLengthMatchesTheBody) {
  ErrorPageOptions o;
  o.date = kDate;
  for (int status : {400, 403, 408, 413, 414, 431, 500, 501, 502, 503, 504, 505}) {
    for (std::string_view cause : {"", "x", "a much longer cause with: colons, commas and more"}) {
      const std::string page = buildErrorResponse(status, cause, o);
      const std::string body = bodyOf(page);
      EXPECT_NE(page.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
                std::string::npos)
          << page;
      EXPECT_EQ(page.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << page;
      EXPECT_EQ(body.back(), '\n');
    }
  }
}

TEST(ErrorPage, BodyNamesStatusReasonAndCause) {
  ErrorPageOptions o;
  o.date = kDate;
  EXPECT_EQ(bodyOf(buildErrorResponse(431, "header section too large", o)),
            "cuttle: 431 Request Header Fields Too Large: header section too large\n");
  EXPECT_EQ(bodyOf(buildErrorResponse(414, "start line too long", o)),
            "cuttle: 414 URI Too Long: start line too long\n");
  // Without a cause: no dangling colon.
  EXPECT_EQ(bodyOf(buildErrorResponse(404, "", o)), "cuttle: 404 Not Found\n");
}

TEST(ErrorPage, HeadRequestGetsTheHeadWithoutTheBody) {
  ErrorPageOptions o;
  o.date = kDate;
  const std::string get = buildErrorResponse(502, "dns failure", o);
  o.head_request = true;
  const std::string head = buildErrorResponse(502, "dns failure", o);
  // The same head, Content-Length included (RFC 9110 9.3.2), and nothing after it.
  const size_t end = get.find("\r\n\r\n") + 4;
  EXPECT_EQ(head, get.substr(0, end));
  EXPECT_EQ(bodyOf(get), "cuttle: 502 Bad Gateway: dns failure\n");
  EXPECT_NE(head.find("Content-Length: 37\r\n"), std::string::npos) << head;
}

TEST(ErrorPage, CauseIsSanitised) {
  ErrorPageOptions o;
  o.date = kDate;
  static const char kRaw[] = "bad\r\nSet-Cookie: x=1\0\x7f\t\x1b\xc3\xa9!";
  const std::string cause(kRaw, sizeof(kRaw) - 1);
  const std::string page = buildErrorResponse(400, cause, o);
  const std::string body = bodyOf(page);
  EXPECT_EQ(body, "cuttle: 400 Bad Request: bad" + std::string(2, '?') + "Set-Cookie: x=1" +
                      std::string(6, '?') + "!\n");
  // No header injection: the head has exactly the fields cuttle wrote.
  EXPECT_EQ(page.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(page.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
}

TEST(ErrorPage, LongCausesAreCut) {
  ErrorPageOptions o;
  o.date = kDate;
  const std::string body = bodyOf(buildErrorResponse(400, std::string(1000, 'c'), o));
  EXPECT_EQ(body, "cuttle: 400 Bad Request: " + std::string(300, 'c') + "\n");
}

TEST(ErrorPage, UnknownStatusHasAReason) {
  ErrorPageOptions o;
  o.date = kDate;
  const std::string page = buildErrorResponse(599, "odd", o);
  EXPECT_EQ(page.rfind("HTTP/1.1 599 Unknown\r\n", 0), 0u) << page;
}

// ---- buildLocalResponse -----------------------------------------------------------------------

TEST(ErrorPage, LocalResponseExactBytes) {
  ErrorPageOptions o;
  o.date = kDate;
  o.keep_alive = true;
  EXPECT_EQ(buildLocalResponse(200, "text/plain", "ok\n", o),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: cuttle\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 3\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
            "ok\n");
  o.head_request = true;
  o.keep_alive = false;
  EXPECT_EQ(buildLocalResponse(200, "message/http", "TRACE / HTTP/1.1\r\n\r\n", o),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: cuttle\r\n"
            "Content-Type: message/http\r\n"
            "Content-Length: 20\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n"
            "\r\n");
  o.head_request = false;
  EXPECT_EQ(bodyOf(buildLocalResponse(200, "text/plain", "", o)), "");
  EXPECT_NE(buildLocalResponse(200, "text/plain", "", o).find("Content-Length: 0\r\n"),
            std::string::npos);
}

}  // namespace
}  // namespace cuttle::proxy
