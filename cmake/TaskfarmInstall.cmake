# TaskfarmInstall.cmake - what "cmake --install" puts beside the library and
# tfrun (lib/ and apps/ install those):
#
#   bin/scaling, bin/plot-trace      links to share/taskfarm/scripts/, where the
#                                    Python scripts find their modules (lib/) and
#                                    share/taskfarm/VERSION as in the source tree
#   share/man/man1/tfrun.1           docs/man/tfrun.1
#   share/bash-completion/completions/tfrun
#                                    scripts/completion/tfrun.bash
#   share/doc/taskfarm/              LICENSE, README.md, docs/tfrun.md
#   share/taskfarm/modulefiles/lmod/taskfarm/VERSION.lua
#   share/taskfarm/modulefiles/tcl/taskfarm/VERSION
#                                    packaging/modules/taskfarm.{lua,tcl} with
#                                    this prefix filled in

include_guard(GLOBAL)
include(GNUInstallDirs)

set(tf_share "${CMAKE_INSTALL_DATADIR}/taskfarm")

install(PROGRAMS scripts/scaling scripts/plot-trace
        DESTINATION "${tf_share}/scripts")
install(FILES scripts/lib/tfscaling.py scripts/lib/tfversion.py
        DESTINATION "${tf_share}/scripts/lib")
file(WRITE "${CMAKE_BINARY_DIR}/VERSION" "${PROJECT_VERSION}\n")
install(FILES "${CMAKE_BINARY_DIR}/VERSION" DESTINATION "${tf_share}")

# The links are relative, so the tree may be moved (or packed into a .deb).
if(IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_DATADIR}")
    message(FATAL_ERROR "taskfarm: CMAKE_INSTALL_BINDIR and CMAKE_INSTALL_DATADIR must be "
                        "relative to the prefix (the scripts are linked from bin/)")
endif()
file(RELATIVE_PATH tf_bin_to_share "/p/${CMAKE_INSTALL_BINDIR}" "/p/${tf_share}/scripts")
foreach(script IN ITEMS scaling plot-trace)
    install(CODE "
        set(tf_bin \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
        file(MAKE_DIRECTORY \"\${tf_bin}\")
        message(STATUS \"Installing: \${tf_bin}/${script} -> ${tf_bin_to_share}/${script}\")
        file(CREATE_LINK \"${tf_bin_to_share}/${script}\" \"\${tf_bin}/${script}\" SYMBOLIC)
        list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/${script}\")
    ")
endforeach()

install(FILES docs/man/tfrun.1 DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES scripts/completion/tfrun.bash
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME tfrun)
install(FILES LICENSE README.md docs/tfrun.md docs/install.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# Modulefiles: written at install time, for the prefix actually installed
# into (cmake --install --prefix may differ from CMAKE_INSTALL_PREFIX).
foreach(kind IN ITEMS lua tcl)
    if(kind STREQUAL "lua")
        set(mf_dir lmod)
        set(mf_name "${PROJECT_VERSION}.lua")
    else()
        set(mf_dir tcl)
        set(mf_name "${PROJECT_VERSION}")
    endif()
    install(CODE "
        set(TF_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
        set(TF_VERSION \"${PROJECT_VERSION}\")
        set(TF_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
        set(TF_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
        set(TF_MANDIR \"${CMAKE_INSTALL_MANDIR}\")
        set(TF_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
        configure_file(\"${PROJECT_SOURCE_DIR}/packaging/modules/taskfarm.${kind}\"
                       \"${CMAKE_BINARY_DIR}/modulefiles/${mf_dir}/${mf_name}\" @ONLY)
        file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${tf_share}/modulefiles/${mf_dir}/taskfarm\"
             TYPE FILE FILES \"${CMAKE_BINARY_DIR}/modulefiles/${mf_dir}/${mf_name}\")
    ")
endforeach()
