# The Debian package, built by CPack's DEB generator (`make deb`, or `cpack -G DEB` in a build
# directory): build/fulcrum_<version>_<arch>.deb. What goes where, and why, is in
# packaging/README.md. The Depends line comes from dpkg-shlibdeps (the libraries the binary
# really links), plus adduser for postinst and procps for the unit's /bin/kill (ExecReload).

# `cpack` installs into its staging directory first; without this, that install would build
# every target (tests, benchmarks) before packaging the one binary it ships.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

install(TARGETS fulcrum RUNTIME DESTINATION sbin COMPONENT fulcrum)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fulcrum.yaml DESTINATION /etc/fulcrum COMPONENT fulcrum)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fulcrum.service DESTINATION /lib/systemd/system COMPONENT fulcrum)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fulcrum.logrotate DESTINATION /etc/logrotate.d RENAME fulcrum
        COMPONENT fulcrum)
install(DIRECTORY DESTINATION /var/lib/fulcrum COMPONENT fulcrum)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/admin-api.md
        DESTINATION share/doc/fulcrum COMPONENT fulcrum)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fulcrum)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "Fulcrum maintainers <maintainers@fulcrum.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "load balancer for TCP, UDP, HTTP and TLS")
# The control file's Description: the summary, then this paragraph (CPack indents it).
set(CPACK_PACKAGE_DESCRIPTION "Fulcrum balances TCP and UDP (layer 4) and HTTP/1.1 and TLS (layer 7) traffic over \
pools of targets with health checks, stickiness, access lists and rate limits, configured by one YAML file in the \
vocabulary of AWS ELB (listeners, rules, target groups, targets). It runs under systemd as an unprivileged user, \
with reloads and hot binary upgrades that lose no connection.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # fulcrum_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};fulcrum;fulcrum;/")
include(CPack)
