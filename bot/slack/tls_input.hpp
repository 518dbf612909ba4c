#pragma once
// Whether a TLS connection holds input already taken off its socket.

#include <openssl/ssl.h>

namespace opsbot::slack {

// True when OpenSSL holds bytes read off the socket that the reader has not
// taken yet: decrypted in its record layer, or still encrypted in the BIO
// that asio feeds it through. The kernel may then hold nothing while a burst
// of envelopes waits there, so the socket alone cannot tell.
bool tls_holds_input(SSL* ssl);

}  // namespace opsbot::slack
