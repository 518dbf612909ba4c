#include "bot/slack/tls_input.hpp"

namespace opsbot::slack {

bool tls_holds_input(SSL* ssl) {
    return SSL_has_pending(ssl) == 1 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0;
}

}  // namespace opsbot::slack
