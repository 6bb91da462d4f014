-- taskfarm @TF_VERSION@ for Lmod: tfrun, the scaling tools and libtaskfarm.
--
-- cmake --install writes this file with the @...@ fields filled in for the
-- prefix it installs into, as PREFIX/share/taskfarm/modulefiles/lmod/
-- taskfarm/@TF_VERSION@.lua: copy that one into the site's module tree, or
-- point MODULEPATH at PREFIX/share/taskfarm/modulefiles/lmod.
--
-- The installed programs find libtaskfarm through their RPATH, and programs
-- built with pkg-config or CMake find it the same way: no LD_LIBRARY_PATH.
-- taskfarm needs the MPI it was built with at run time; a site whose MPI is a
-- module adds its depends_on("openmpi/...") line here.

local prefix = "@TF_PREFIX@"

help([[
taskfarm @TF_VERSION@: a task farm on MPI.
  tfrun          runs the lines of a task file on the ranks of an MPI job
                 (mpirun -np P tfrun tasks.txt; man tfrun)
  scaling        strong/weak scaling sweeps of an MPI program
  plot-trace     a Gantt chart of a taskfarm trace (TF_TRACE=FILE)
  libtaskfarm    C library: pkg-config taskfarm, or find_package(taskfarm)
]])

whatis("Name: taskfarm")
whatis("Version: @TF_VERSION@")
whatis("Category: library, tools")
whatis("Description: a task farm on MPI: the tfrun command farm and the taskfarm C library")

prepend_path("PATH", pathJoin(prefix, "@TF_BINDIR@"))
prepend_path("MANPATH", pathJoin(prefix, "@TF_MANDIR@"))
-- An empty entry keeps man's own search path (a MANPATH of one directory
-- would hide the system's pages).
append_path("MANPATH", "")
prepend_path("PKG_CONFIG_PATH", pathJoin(prefix, "@TF_LIBDIR@", "pkgconfig"))
prepend_path("CMAKE_PREFIX_PATH", prefix)
setenv("TASKFARM_ROOT", prefix)
