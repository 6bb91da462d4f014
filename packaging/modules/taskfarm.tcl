#%Module1.0
##
## taskfarm @TF_VERSION@ for Environment Modules (Tcl): tfrun, the scaling
## tools and libtaskfarm. cmake --install writes it with the @...@ fields
## filled in as PREFIX/share/taskfarm/modulefiles/tcl/taskfarm/@TF_VERSION@;
## see taskfarm.lua beside this file for what it sets and why.

set prefix "@TF_PREFIX@"

proc ModulesHelp { } {
    puts stderr "taskfarm @TF_VERSION@: a task farm on MPI."
    puts stderr "  tfrun        runs the lines of a task file on the ranks of an MPI job"
    puts stderr "  scaling      strong/weak scaling sweeps of an MPI program"
    puts stderr "  plot-trace   a Gantt chart of a taskfarm trace"
    puts stderr "  libtaskfarm  pkg-config taskfarm, or CMake find_package(taskfarm)"
}

module-whatis "taskfarm @TF_VERSION@: a task farm on MPI (tfrun, libtaskfarm)"

prepend-path PATH $prefix/@TF_BINDIR@
prepend-path MANPATH $prefix/@TF_MANDIR@
# an empty entry keeps man's own search path
append-path MANPATH ""
prepend-path PKG_CONFIG_PATH $prefix/@TF_LIBDIR@/pkgconfig
prepend-path CMAKE_PREFIX_PATH $prefix
setenv TASKFARM_ROOT $prefix
