# Install rules for desktop integration and CPack (DEB and TGZ).
include(GNUInstallDirs)
install(FILES "${PROJECT_SOURCE_DIR}/resources/lorafit.desktop" DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/lorafit.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps")

# The built-in demo (model, datasets, settings): the app finds it in <prefix>/share/lorafit/demo.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/resources/demo" DESTINATION "${CMAKE_INSTALL_DATADIR}/lorafit"
        OPTIONAL PATTERN "*.py" EXCLUDE)

set(CPACK_PACKAGE_NAME "lorafit")
set(CPACK_PACKAGE_VENDOR "Lorafit developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "Lorafit developers <dev@lorafit.org>")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Runtime libraries as Debian 12 names them (Ubuntu 24.04 uses the same names
# except for the t64 suffixes, which dpkg-shlibdeps would resolve).
# Only Debian's LibTorch is a package to depend on; a build against a LibTorch
# download or a pip wheel finds it through its RPATH (cmake/LorafitTorch.cmake)
# and is for the machine that has it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libqt6widgets6, libqt6printsupport6, libqt6svg6, libqt6concurrent6, libqcustomplot2.1-qt6, libsqlite3-0, libpcre2-8-0, libutf8proc2")
if(LORAFIT_TORCH_IS_SYSTEM)
  string(PREPEND CPACK_DEBIAN_PACKAGE_DEPENDS "libtorch1.13, libopenblas0-openmp, ")
endif()
include(CPack)
