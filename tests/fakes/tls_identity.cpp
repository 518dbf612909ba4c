#include "tests/fakes/tls_identity.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>

namespace opsbot::test {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test TLS identity: ") + what);
}

std::string pem_of(const std::function<int(BIO*)>& write) {
    Bio bio(BIO_new(BIO_s_mem()));
    check(bio && write(bio.get()) == 1, "cannot write PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* certificate, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    check(extension && X509_add_ext(certificate, extension.get(), -1) == 1, "cannot add extension");
}

}  // namespace

TlsIdentity make_self_signed_identity(const std::vector<std::string>& alt_names) {
    Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "cannot make a key");
    Certificate certificate(X509_new());
    check(certificate && X509_set_version(certificate.get(), 2) == 1, "cannot make a certificate");
    unsigned char serial[8];
    check(RAND_bytes(serial, sizeof serial) == 1, "no random serial");
    serial[0] &= 0x7f;  // positive
    std::uint64_t serial_value = 0;
    for (const unsigned char byte : serial) serial_value = (serial_value << 8) | byte;
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate.get()), serial_value);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
    check(X509_set_pubkey(certificate.get(), key.get()) == 1, "cannot set the key");
    X509_NAME* name = X509_get_subject_name(certificate.get());
    const auto common_name = reinterpret_cast<const unsigned char*>("opsbot test fake");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0) == 1,
          "cannot set the name");
    check(X509_set_issuer_name(certificate.get(), name) == 1, "cannot set the issuer");
    std::string names;
    for (const auto& alt : alt_names) names += (names.empty() ? "" : ",") + alt;
    add_extension(certificate.get(), NID_subject_alt_name, names);
    check(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0, "cannot sign");
    return {pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, certificate.get()); }),
            pem_of([&](BIO* bio) {
                return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr,
                                                nullptr);
            })};
}

}  // namespace opsbot::test
