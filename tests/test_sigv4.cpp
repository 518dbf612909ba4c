#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "adapters/aws/s3.hpp"
#include "core/digest.hpp"
#include "core/http.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

using opsbot::HttpHeaders;
using opsbot::HttpRequest;
using opsbot::sha256_hex;
using opsbot::TimePoint;
using opsbot::aws::canonical_request;
using opsbot::aws::Credentials;
using opsbot::aws::presign_url;
using opsbot::aws::sign_request;
using opsbot::aws::signature;
using opsbot::aws::string_to_sign;
using opsbot::aws::uri_encode;
using namespace std::chrono_literals;

// Every expected value below is copied from AWS's documentation, never
// produced by this code:
//  - Amazon S3 API Reference, "Signature Calculations for the Authorization
//    Header: Transferring Payload in a Single Chunk", section "Examples:
//    Signature Calculations" (GET Object, PUT Object, GET Bucket Lifecycle,
//    Get Bucket (List Objects));
//  - "Authenticating Requests: Using Query Parameters", the presigned URL
//    example for examplebucket/test.txt;
//  - the AWS Signature Version 4 test suite (aws-sig-v4-test-suite: .creq,
//    .sts and .authz files), service "service", 20150830T123600Z.

namespace {

constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---- the S3 examples -----------------------------------------------------

const Credentials kS3Example{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             ""};
constexpr const char* kS3Region = "us-east-1";

TimePoint s3_example_time() {
    return *opsbot::parse_iso8601("2013-05-24T00:00:00Z");
}

std::string s3_string_to_sign(const std::string& canonical_hash) {
    return "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
           canonical_hash;
}

// ---- the test suite --------------------------------------------------------

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

TimePoint suite_time() {
    return *opsbot::parse_iso8601("2015-08-30T12:36:00Z");
}

struct SuiteCase {
    std::string name;
    std::string method;
    std::string url;
    HttpHeaders headers;
    std::vector<std::string> signed_headers;
    std::string creq;
    std::string sts;
    std::string signature;
};

const char* const kStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W"
    "Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
    "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::string suite_sts(const std::string& canonical_hash) {
    return "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
           canonical_hash;
}

std::string suite_creq(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& extra_headers, const std::string& signed_headers) {
    return method + "\n" + path + "\n" + query + "\nhost:example.amazonaws.com\n" + extra_headers +
           "x-amz-date:20150830T123600Z\n\n" + signed_headers + "\n" + kEmptyHash;
}

std::vector<SuiteCase> suite_cases() {
    const HttpHeaders base{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    const std::vector<std::string> plain{"host", "x-amz-date"};
    const std::vector<std::string> with_header{"host", "my-header1", "x-amz-date"};
    auto plus = [&](HttpHeaders extra) {
        HttpHeaders headers = base;
        headers.insert(headers.begin() + 1, extra.begin(), extra.end());
        return headers;
    };
    const std::string unreserved =
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    return {
        {"get-vanilla", "GET", "https://example.amazonaws.com/", base, plain,
         suite_creq("GET", "/", "", "", "host;x-amz-date"),
         suite_sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-vanilla-empty-query-key", "GET", "https://example.amazonaws.com/?Param1=value1", base,
         plain, suite_creq("GET", "/", "Param1=value1", "", "host;x-amz-date"),
         suite_sts("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
         "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        {"get-vanilla-query-order-key-case", "GET",
         "https://example.amazonaws.com/?Param2=value2&Param1=value1", base, plain,
         suite_creq("GET", "/", "Param1=value1&Param2=value2", "", "host;x-amz-date"),
         suite_sts("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        {"get-vanilla-query-order-key", "GET",
         "https://example.amazonaws.com/?Param1=value2&Param1=Value1", base, plain,
         suite_creq("GET", "/", "Param1=Value1&Param1=value2", "", "host;x-amz-date"),
         suite_sts("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
         "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
        {"get-vanilla-query-order-value", "GET",
         "https://example.amazonaws.com/?Param1=value2&Param1=value1", base, plain,
         suite_creq("GET", "/", "Param1=value1&Param1=value2", "", "host;x-amz-date"),
         suite_sts("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
         "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
        {"get-vanilla-query-unreserved", "GET",
         "https://example.amazonaws.com/?" + unreserved + "=" + unreserved, base, plain,
         suite_creq("GET", "/", unreserved + "=" + unreserved, "", "host;x-amz-date"),
         suite_sts("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
         "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        {"get-vanilla-utf8-query", "GET", "https://example.amazonaws.com/?\xE1\x88\xB4=bar", base,
         plain, suite_creq("GET", "/", "%E1%88%B4=bar", "", "host;x-amz-date"),
         suite_sts("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
         "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        {"get-utf8", "GET", "https://example.amazonaws.com/\xE1\x88\xB4", base, plain,
         suite_creq("GET", "/%E1%88%B4", "", "", "host;x-amz-date"),
         suite_sts("2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"),
         "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        {"get-space", "GET", "https://example.amazonaws.com/example space/", base, plain,
         suite_creq("GET", "/example%20space/", "", "", "host;x-amz-date"),
         suite_sts("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
         "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        {"get-unreserved", "GET", "https://example.amazonaws.com/" + unreserved, base, plain,
         suite_creq("GET", "/" + unreserved, "", "", "host;x-amz-date"),
         suite_sts("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
         "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        {"get-header-key-duplicate", "GET", "https://example.amazonaws.com/",
         plus({{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
         with_header,
         suite_creq("GET", "/", "", "my-header1:value2,value2,value1\n",
                    "host;my-header1;x-amz-date"),
         suite_sts("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
         "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        {"get-header-value-order", "GET", "https://example.amazonaws.com/",
         plus({{"My-Header1", "value4"},
               {"My-Header1", "value1"},
               {"My-Header1", "value3"},
               {"My-Header1", "value2"}}),
         with_header,
         suite_creq("GET", "/", "", "my-header1:value4,value1,value3,value2\n",
                    "host;my-header1;x-amz-date"),
         suite_sts("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
         "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
        {"get-header-value-trim",
         "GET",
         "https://example.amazonaws.com/",
         plus({{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
         {"host", "my-header1", "my-header2", "x-amz-date"},
         suite_creq("GET", "/", "", "my-header1:value1\nmy-header2:\"a b c\"\n",
                    "host;my-header1;my-header2;x-amz-date"),
         suite_sts("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
         "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        {"post-vanilla", "POST", "https://example.amazonaws.com/", base, plain,
         suite_creq("POST", "/", "", "", "host;x-amz-date"),
         suite_sts("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
         "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        {"post-vanilla-query", "POST", "https://example.amazonaws.com/?Param1=value1", base, plain,
         suite_creq("POST", "/", "Param1=value1", "", "host;x-amz-date"),
         suite_sts("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
         "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        {"post-header-key-sort", "POST", "https://example.amazonaws.com/",
         plus({{"My-Header1", "value1"}}), with_header,
         suite_creq("POST", "/", "", "my-header1:value1\n", "host;my-header1;x-amz-date"),
         suite_sts("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
         "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
        {"post-header-value-case", "POST", "https://example.amazonaws.com/",
         plus({{"My-Header1", "VALUE1"}}), with_header,
         suite_creq("POST", "/", "", "my-header1:VALUE1\n", "host;my-header1;x-amz-date"),
         suite_sts("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
         "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
        {"post-sts-header-before",
         "POST",
         "https://example.amazonaws.com/",
         {{"Host", "example.amazonaws.com"},
          {"X-Amz-Date", "20150830T123600Z"},
          {"X-Amz-Security-Token", kStsToken}},
         {"host", "x-amz-date", "x-amz-security-token"},
         "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
         "x-amz-security-token:" +
             std::string(kStsToken) + "\n\nhost;x-amz-date;x-amz-security-token\n" + kEmptyHash,
         suite_sts("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
         "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
    };
}

// The value of the one header with this name, in any case.
std::string header_of(const HttpRequest& request, const std::string& name) {
    std::vector<std::string> found;
    for (const auto& [key, value] : request.headers)
        if (opsbot::to_lower(key) == opsbot::to_lower(name)) found.push_back(value);
    return found.size() == 1 ? found.front()
                             : "<" + std::to_string(found.size()) + " headers named " + name + ">";
}

}  // namespace

TEST_CASE("sigv4: uri_encode keeps unreserved bytes and encodes the rest in upper-case hex",
          "[sigv4]") {
    CHECK(uri_encode("A-Z a-z_0.9~", true) == "A-Z%20a-z_0.9~");
    CHECK(uri_encode("backups/acme/2026-11-24.tar.lrz", false) ==
          "backups/acme/2026-11-24.tar.lrz");
    CHECK(uri_encode("backups/acme/2026-11-24.tar.lrz", true) ==
          "backups%2Facme%2F2026-11-24.tar.lrz");
    CHECK(uri_encode("a+b", false) == "a%2Bb");
    CHECK(uri_encode("caf\xC3\xA9 \xE2\x82\xAC", false) == "caf%C3%A9%20%E2%82%AC");
    CHECK(uri_encode("test$file.text", false) == "test%24file.text");
    CHECK(uri_encode("=&?#%:@!*'()", true) == "%3D%26%3F%23%25%3A%40%21%2A%27%28%29");
    CHECK(uri_encode("", true).empty());
}

TEST_CASE("sigv4: S3 example GET Object with a Range header", "[sigv4]") {
    HttpRequest request;
    request.method = "GET";
    request.url = "https://examplebucket.s3.amazonaws.com/test.txt";
    request.headers = {{"Range", "bytes=0-9"},
                       {"x-amz-content-sha256", kEmptyHash},
                       {"x-amz-date", "20130524T000000Z"}};
    const auto canonical = canonical_request(
        request, {"host", "range", "x-amz-content-sha256", "x-amz-date"}, kEmptyHash);
    CHECK(canonical ==
          "GET\n"
          "/test.txt\n"
          "\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "range:bytes=0-9\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n"
          "\n"
          "host;range;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const auto to_sign = string_to_sign(canonical, s3_example_time(), kS3Region, "s3");
    CHECK(to_sign ==
          s3_string_to_sign("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
    CHECK(signature(kS3Example.secret_access_key, s3_example_time(), kS3Region, "s3", to_sign) ==
          "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: S3 example PUT Object with a '$' in the key and a signed payload", "[sigv4]") {
    const std::string body = "Welcome to Amazon S3.";
    const std::string payload_hash =
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    REQUIRE(sha256_hex(body) == payload_hash);
    HttpRequest request;
    request.method = "PUT";
    request.url = "https://examplebucket.s3.amazonaws.com/test$file.text";
    request.body = body;
    request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-date", "20130524T000000Z"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                       {"x-amz-content-sha256", payload_hash}};
    const auto canonical = canonical_request(
        request, {"date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"},
        payload_hash);
    CHECK(canonical ==
          "PUT\n"
          "/test%24file.text\n"
          "\n"
          "date:Fri, 24 May 2013 00:00:00 GMT\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
          "x-amz-date:20130524T000000Z\n"
          "x-amz-storage-class:REDUCED_REDUNDANCY\n"
          "\n"
          "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    const auto to_sign = string_to_sign(canonical, s3_example_time(), kS3Region, "s3");
    CHECK(to_sign ==
          s3_string_to_sign("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"));
    CHECK(signature(kS3Example.secret_access_key, s3_example_time(), kS3Region, "s3", to_sign) ==
          "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4: S3 example GET Bucket Lifecycle, signed by sign_request", "[sigv4]") {
    HttpRequest request;
    request.url = "https://examplebucket.s3.amazonaws.com/?lifecycle";
    sign_request(request, kS3Example, kS3Region, "s3", s3_example_time());
    CHECK(header_of(request, "x-amz-date") == "20130524T000000Z");
    CHECK(header_of(request, "x-amz-content-sha256") == kEmptyHash);
    CHECK(header_of(request, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    const auto canonical =
        canonical_request(request, {"host", "x-amz-content-sha256", "x-amz-date"}, kEmptyHash);
    CHECK(canonical ==
          "GET\n"
          "/\n"
          "lifecycle=\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n"
          "\n"
          "host;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(canonical, s3_example_time(), kS3Region, "s3") ==
          s3_string_to_sign("9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
}

TEST_CASE("sigv4: S3 example Get Bucket (List Objects), query sorted whatever its order",
          "[sigv4]") {
    for (const std::string query : {"max-keys=2&prefix=J", "prefix=J&max-keys=2"}) {
        HttpRequest request;
        request.url = "https://examplebucket.s3.amazonaws.com/?" + query;
        sign_request(request, kS3Example, kS3Region, "s3", s3_example_time());
        CHECK(header_of(request, "Authorization") ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
              "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
              "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
        const auto canonical =
            canonical_request(request, {"host", "x-amz-content-sha256", "x-amz-date"}, kEmptyHash);
        CHECK(canonical ==
              "GET\n"
              "/\n"
              "max-keys=2&prefix=J\n"
              "host:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n"
              "\n"
              "host;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(
            string_to_sign(canonical, s3_example_time(), kS3Region, "s3") ==
            s3_string_to_sign("df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"));
    }
}

TEST_CASE("sigv4: S3 example presigned URL for examplebucket/test.txt", "[sigv4]") {
    const std::string url = presign_url("GET", "https://examplebucket.s3.amazonaws.com/test.txt",
                                        kS3Example, kS3Region, "s3", s3_example_time(), 86400s);
    CHECK(url ==
          "https://examplebucket.s3.amazonaws.com/test.txt"
          "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z"
          "&X-Amz-Expires=86400"
          "&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

    // The same steps one by one, against the canonical request and string to
    // sign the documentation prints.
    HttpRequest unsigned_request;
    unsigned_request.url = url.substr(0, url.find("&X-Amz-Signature="));
    const auto canonical = canonical_request(unsigned_request, {"host"}, "UNSIGNED-PAYLOAD");
    CHECK(canonical ==
          "GET\n"
          "/test.txt\n"
          "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
          "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
          "SignedHeaders=host\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "\n"
          "host\n"
          "UNSIGNED-PAYLOAD");
    const auto to_sign = string_to_sign(canonical, s3_example_time(), kS3Region, "s3");
    CHECK(to_sign ==
          s3_string_to_sign("3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"));
    CHECK(signature(kS3Example.secret_access_key, s3_example_time(), kS3Region, "s3", to_sign) ==
          "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("sigv4: the AWS Signature Version 4 test suite", "[sigv4]") {
    for (const auto& vector : suite_cases()) {
        INFO(vector.name);
        HttpRequest request;
        request.method = vector.method;
        request.url = vector.url;
        request.headers = vector.headers;
        const auto canonical = canonical_request(request, vector.signed_headers, kEmptyHash);
        CHECK(canonical == vector.creq);
        const auto to_sign = string_to_sign(canonical, suite_time(), "us-east-1", "service");
        CHECK(to_sign == vector.sts);
        CHECK(signature(kSuite.secret_access_key, suite_time(), "us-east-1", "service", to_sign) ==
              vector.signature);
    }
}

TEST_CASE("sigv4: canonical query sorts by encoded name then value and keeps empty values",
          "[sigv4]") {
    HttpRequest request;
    request.url =
        "http://127.0.0.1:9000/opsbot-backups?prefix=a%20b%2Bc&list-type=2&flag&b=2&b=1&A=z"
        "&continuation-token=1ab%2Fc%2Bd%3D";
    const auto canonical = canonical_request(request, {"host"}, kEmptyHash);
    CHECK(canonical ==
          "GET\n/opsbot-backups\n"
          "A=z&b=1&b=2&continuation-token=1ab%2Fc%2Bd%3D&flag=&list-type=2&prefix=a%20b%2Bc\n"
          "host:127.0.0.1:9000\n\nhost\n" +
              std::string(kEmptyHash));
}

TEST_CASE("sigv4: the host signed is the one curl sends, default ports dropped", "[sigv4]") {
    HttpRequest request;
    for (const auto& [url, host] : std::vector<std::pair<std::string, std::string>>{
             {"https://Bucket.S3.eu-central-1.amazonaws.com:443/k",
              "bucket.s3.eu-central-1.amazonaws.com"},
             {"http://127.0.0.1:80/b/k", "127.0.0.1"},
             {"http://127.0.0.1:9000/b/k", "127.0.0.1:9000"},
             {"https://minio.example.com:9000?x=1", "minio.example.com:9000"}}) {
        request.url = url;
        const auto canonical = canonical_request(request, {"Host"}, kEmptyHash);
        CHECK(canonical.find("\nhost:" + host + "\n") != std::string::npos);
    }
}

TEST_CASE("sigv4: an already encoded object path is signed as it goes on the wire", "[sigv4]") {
    HttpRequest request;
    request.url = "http://127.0.0.1:9000/opsbot-backups/backups/acme/caf%C3%A9%202026%2B1.tar.lrz";
    CHECK(canonical_request(request, {"host"}, kEmptyHash)
              .starts_with("GET\n/opsbot-backups/backups/acme/caf%C3%A9%202026%2B1.tar.lrz\n\n"));
}

TEST_CASE("sigv4: sign_request signs every x-amz header and replaces an earlier signature",
          "[sigv4]") {
    const Credentials temporary{"ASIAEXAMPLEEXAMPLE01", "secret/with+chars", "session-token/1+2="};
    HttpRequest request;
    request.url = "https://opsbot-backups.s3.eu-central-1.amazonaws.com/?list-type=2";
    request.headers = {{"X-Amz-Request-Payer", "requester"}, {"Accept", "application/xml"}};
    sign_request(request, temporary, "eu-central-1", "s3", s3_example_time());
    sign_request(request, temporary, "eu-central-1", "s3", s3_example_time() + 1h);

    CHECK(header_of(request, "x-amz-date") == "20130524T010000Z");
    CHECK(header_of(request, "x-amz-security-token") == "session-token/1+2=");
    const std::string authorization = header_of(request, "Authorization");
    CHECK(authorization.starts_with(
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE01/20130524/eu-central-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-request-payer;"
        "x-amz-security-token, Signature="));

    // The signature is the documented algorithm over this request's canonical form.
    const auto canonical = canonical_request(request,
                                             {"host", "x-amz-content-sha256", "x-amz-date",
                                              "x-amz-request-payer", "x-amz-security-token"},
                                             kEmptyHash);
    const auto to_sign = string_to_sign(canonical, s3_example_time() + 1h, "eu-central-1", "s3");
    CHECK(authorization.ends_with("Signature=" + signature(temporary.secret_access_key,
                                                           s3_example_time() + 1h, "eu-central-1",
                                                           "s3", to_sign)));
}

TEST_CASE("sigv4: presigned URLs carry the session token and last at most 7 days", "[sigv4]") {
    const Credentials temporary{"ASIAEXAMPLEEXAMPLE01", "secret", "token+/="};
    const std::string url =
        presign_url("GET", "https://b.s3.eu-central-1.amazonaws.com/backups/a b.tar.lrz", temporary,
                    "eu-central-1", "s3", s3_example_time(), 30 * 24h);
    CHECK(url.starts_with("https://b.s3.eu-central-1.amazonaws.com/backups/a%20b.tar.lrz?"));
    CHECK(url.find("&X-Amz-Expires=604800&") != std::string::npos);
    CHECK(url.find("&X-Amz-Security-Token=token%2B%2F%3D&") != std::string::npos);
    CHECK(url.find("X-Amz-SignedHeaders=host&X-Amz-Signature=") != std::string::npos);
}
