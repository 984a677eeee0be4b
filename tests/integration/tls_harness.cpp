#include "tls_harness.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace fulcrum::testing {
namespace {

std::string write_temp_input(const std::string& input) {
  char path[] = "/tmp/fulcrum-tls-input-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return "/dev/null";
  size_t done = 0;
  while (done < input.size()) {
    ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

void must(const CommandResult& r, const std::string& what) {
  if (r.exit_code != 0) ADD_FAILURE() << what << " failed: " << r.out;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& command, const std::string& input, int timeout_s) {
  std::vector<std::string> argv{"/usr/bin/timeout", std::to_string(timeout_s)};
  argv.insert(argv.end(), command.begin(), command.end());
  const std::string input_path = write_temp_input(input);
  CommandResult result = run_captured(std::move(argv), input_path, true);
  if (input_path != "/dev/null") ::unlink(input_path.c_str());
  return result;
}

TestPki::TestPki(const TempDir& dir) : dir_(dir) {
  const std::string d = dir.path() + "/";
  root_ = d + "root.pem";
  root_key_ = d + "root.key";
  intermediate_ = d + "intermediate.pem";
  intermediate_key_ = d + "intermediate.key";
  must(run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", root_key_, "-out", root_, "-days", "2", "-subj", "/CN=Fulcrum Test Root",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"}),
       "root CA");
  dir.write("ca.ext", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  must(run_command({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", intermediate_key_, "-out", d + "intermediate.csr", "-subj", "/CN=Fulcrum Test Intermediate"}),
       "intermediate request");
  must(run_command({"openssl", "x509", "-req", "-in", d + "intermediate.csr", "-CA", root_, "-CAkey", root_key_,
                    "-CAcreateserial", "-out", intermediate_, "-days", "2", "-extfile", d + "ca.ext"}),
       "intermediate");
}

CertFiles TestPki::leaf(const std::string& stem, const std::string& common_name, const std::vector<std::string>& names,
                        const std::string& kind) const {
  const std::string d = dir_.path() + "/";
  CertFiles files{d + stem + ".pem", d + stem + ".key"};
  std::vector<std::string> key_args = kind == "rsa" ? std::vector<std::string>{"-newkey", "rsa:2048"}
                                                    : std::vector<std::string>{"-newkey", "ec", "-pkeyopt",
                                                                               "ec_paramgen_curve:P-256"};
  std::vector<std::string> request{"openssl", "req", "-new"};
  request.insert(request.end(), key_args.begin(), key_args.end());
  request.insert(request.end(), {"-nodes", "-keyout", files.key, "-out", d + stem + ".csr", "-subj", "/CN=" + common_name});
  must(run_command(request), "leaf request " + stem);
  std::string ext = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
  if (!names.empty()) {
    ext += "subjectAltName=";
    for (size_t i = 0; i < names.size(); ++i) ext += (i ? ",DNS:" : "DNS:") + names[i];
    ext += "\n";
  }
  dir_.write(stem + ".ext", ext);
  must(run_command({"openssl", "x509", "-req", "-in", d + stem + ".csr", "-CA", intermediate_, "-CAkey",
                    intermediate_key_, "-CAcreateserial", "-out", d + stem + ".leaf", "-days", "2", "-extfile",
                    d + stem + ".ext"}),
       "leaf " + stem);
  std::ifstream leaf(d + stem + ".leaf"), chain(intermediate_);
  std::ofstream out(files.cert);
  out << leaf.rdbuf() << chain.rdbuf();
  return files;
}

CertFiles TestPki::self_signed(const std::string& stem, const std::string& common_name) const {
  const std::string d = dir_.path() + "/";
  CertFiles files{d + stem + ".pem", d + stem + ".key"};
  must(run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", files.key, "-out", files.cert, "-days", "2", "-subj", "/CN=" + common_name,
                    "-addext", "subjectAltName=DNS:" + common_name}),
       "self-signed " + stem);
  return files;
}

SServerTarget::SServerTarget(const TempDir& dir, const std::string& intermediate, const CertFiles& cert,
                             const std::string& name, const std::string& mode)
    : port(free_port()),
      process(
          [&] {
            std::vector<std::string> argv{"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                          "-cert", cert.cert, "-key", cert.key, mode, "-quiet"};
            if (!intermediate.empty()) argv.insert(argv.end(), {"-cert_chain", intermediate});
            return argv;
          }(),
          dir.path(), "s_server" + mode + "-" + name) {
  for (int i = 0; i < 200 && !can_connect(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

CommandResult s_client(uint16_t port, const std::vector<std::string>& args, const std::string& request) {
  std::vector<std::string> argv{"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port)};
  if (!request.empty()) argv.push_back("-ign_eof");  // send the request, read until the server closes
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, request);
}

std::string peer_common_name(const std::string& out) {
  // OpenSSL 3 prints "subject=CN = www" for the peer (and "0 s:CN = www" in the chain).
  const std::string key = "\nsubject=";
  size_t at = out.find(key);
  if (at == std::string::npos) return "";
  size_t end = out.find('\n', at + 1);
  std::string line = out.substr(at + key.size(), end - at - key.size());
  size_t cn = line.find("CN = ");
  if (cn == std::string::npos) return "";
  std::string name = line.substr(cn + 5);
  if (size_t comma = name.find(','); comma != std::string::npos) name.resize(comma);
  return name;
}

std::string https_listener_tls(const TestPki& pki) {
  const CertFiles cert = pki.leaf("front", "front", {"localhost"});
  return "    tls: { certificates: [ { cert: " + cert.cert + ", key: " + cert.key + " } ] }\n";
}

}  // namespace fulcrum::testing
