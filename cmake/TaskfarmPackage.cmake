# TaskfarmPackage.cmake - a Debian package of what "cmake --install" installs:
#
#   cmake --build build && cd build && cpack -G DEB     -> taskfarm_0.1.0_amd64.deb
#
# The package installs into /usr; its Depends come from dpkg-shlibdeps (the
# libraries tfrun and libtaskfarm link: Open MPI's or MPICH's, hwloc,
# libcrypto), plus the MPI's launcher and python3; matplotlib for the plots
# of scaling and plot-trace is recommended. dpkg-shlibdeps is in dpkg-dev.
# tests/install/deb.sh builds, installs, uses and removes it.

include_guard(GLOBAL)

set(CPACK_PACKAGE_NAME taskfarm)
set(CPACK_PACKAGE_VENDOR "The taskfarm authors")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}: the tfrun command farm and libtaskfarm")
set(CPACK_PACKAGE_DESCRIPTION
    "tfrun runs the lines of a task file on the ranks of an MPI job, with a journal \
so that a run cut short goes on where it stopped; libtaskfarm is the C library under it \
(map, submit, spawn, with dynamic load balancing across ranks). Includes the header, \
pkg-config and CMake files to build programs against it, the scaling and plot-trace tools, \
a man page and bash completion.")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGE_CONTACT "The taskfarm authors <taskfarm@localhost>")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES OFF)

set(CPACK_DEBIAN_PACKAGE_NAME taskfarm)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libtaskfarm is in the package itself: dpkg-shlibdeps finds it there.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_BINARY_DIR}/lib")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
if(TF_MPI_KIND STREQUAL "mpich")
    set(tf_deb_launcher mpich)
else()
    set(tf_deb_launcher openmpi-bin)
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${tf_deb_launcher}, python3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-matplotlib, python3-numpy, pkg-config, bash-completion")

include(CPack)
