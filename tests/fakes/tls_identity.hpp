#pragma once
// A self-signed certificate and its key, made when a test starts, so that the
// fakes can speak TLS on 127.0.0.1 without a certificate in the repository.
// Trust it in opsbot through SSL_CERT_FILE (OpenSSL's default verify paths).

#include <string>
#include <vector>

namespace opsbot::test {

struct TlsIdentity {
    std::string certificate_pem;
    std::string private_key_pem;
};

// An EC P-256 key and a certificate valid for an hour, for these subject
// alternative names ("IP:127.0.0.1", "DNS:localhost").
TlsIdentity make_self_signed_identity(const std::vector<std::string>& alt_names);

}  // namespace opsbot::test
