# TaskfarmMPI.cmake - which MPI taskfarm is built with and tested under.
#
#   TF_MPI=openmpi|mpich   build with mpicc.<name>, test with mpiexec.<name>
#                          (Debian's names for each MPI where several are
#                          installed); empty: what FindMPI finds (MPI_HOME,
#                          MPI_C_COMPILER, mpicc on PATH)
#   TF_MPIEXEC             the launcher of the tests (default: mpiexec.<name>
#                          with TF_MPI, else the one FindMPI finds)
#
# Sets, besides what FindMPI sets:
#   TF_MPI_KIND            openmpi, mpich or other: from the MPI header
#   TF_MPIEXEC_RESOLVED    the launcher
#   TF_MPIEXEC_KIND        openmpi, hydra (MPICH's) or other: from its --version
#   TF_MPIEXEC_IS_OPENMPI  ON where the launcher is Open MPI's
#   TF_MPIEXEC_FLAGS       the flags every test launch needs
# and stops with an error where the launcher belongs to another MPI than
# the library: the ranks would start as separate singletons (or crash).

include_guard(GLOBAL)
include(CheckSymbolExists)

# tf__mpi_program(out name hint): the path of NAME.<TF_MPI> on PATH, or a
# fatal error naming the Debian package (HINT) that brings it.
function(tf__mpi_program out name hint)
    find_program(found NAMES ${name}.${TF_MPI} NO_CACHE)
    if(NOT found)
        message(FATAL_ERROR "TF_MPI=${TF_MPI}: no ${name}.${TF_MPI} on PATH (Debian: ${hint})")
    endif()
    set(${out} "${found}" PARENT_SCOPE)
endfunction()

if(TF_MPI)
    if(NOT TF_MPI MATCHES "^(openmpi|mpich)$")
        message(FATAL_ERROR "TF_MPI=${TF_MPI}: not openmpi or mpich")
    endif()
    # FindMPI caches what it found; another MPI needs a fresh tree.
    if(DEFINED CACHE{TF_MPI_CONFIGURED} AND NOT TF_MPI_CONFIGURED STREQUAL TF_MPI)
        message(FATAL_ERROR "TF_MPI changed from '${TF_MPI_CONFIGURED}' to '${TF_MPI}': "
                            "configure a new build directory for it")
    endif()
    set(TF_MPI_CONFIGURED "${TF_MPI}" CACHE INTERNAL "TF_MPI of the first configure")
    if(NOT MPI_C_COMPILER)
        tf__mpi_program(tf_mpi_cc mpicc "libmpich-dev or libopenmpi-dev; scripts/setup --mpich")
        set(MPI_C_COMPILER "${tf_mpi_cc}" CACHE FILEPATH "MPI C compiler wrapper")
    endif()
    if(NOT TF_MPIEXEC)
        tf__mpi_program(tf_mpi_exec mpiexec "mpich or openmpi-bin")
        set(TF_MPIEXEC "${tf_mpi_exec}" CACHE FILEPATH
            "mpiexec used by the MPI tests (default: the one FindMPI finds)" FORCE)
    endif()
endif()

find_package(MPI REQUIRED COMPONENTS C)

# ---- the library's kind, from its header ---------------------------------------

set(CMAKE_REQUIRED_INCLUDES ${MPI_C_INCLUDE_DIRS})
set(CMAKE_REQUIRED_QUIET ON)
check_symbol_exists(OMPI_MAJOR_VERSION mpi.h TF_HAVE_OMPI_HEADER)
check_symbol_exists(MPICH_VERSION mpi.h TF_HAVE_MPICH_HEADER)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_QUIET)
if(TF_HAVE_OMPI_HEADER)
    set(TF_MPI_KIND openmpi)
elseif(TF_HAVE_MPICH_HEADER)
    set(TF_MPI_KIND mpich)
else()
    set(TF_MPI_KIND other)
endif()
if(TF_MPI AND NOT TF_MPI STREQUAL TF_MPI_KIND)
    message(FATAL_ERROR "TF_MPI=${TF_MPI}, but ${MPI_C_COMPILER} gives a ${TF_MPI_KIND} mpi.h")
endif()

# ---- the launcher ----------------------------------------------------------------

# A bare name given with -D (-DTF_MPIEXEC=mpiexec.mpich) arrives as a path
# under the directory cmake ran in, the cache entry being a FILEPATH: look the
# name up on PATH instead, and stop where it is on no PATH, rather than test
# under a launcher that cannot start.
if(TF_MPIEXEC AND NOT EXISTS "${TF_MPIEXEC}")
    get_filename_component(tf_mpiexec_name "${TF_MPIEXEC}" NAME)
    find_program(tf_mpiexec_found NAMES "${tf_mpiexec_name}" NO_CACHE)
    if(NOT tf_mpiexec_found)
        message(FATAL_ERROR "TF_MPIEXEC=${TF_MPIEXEC}: no such file, and no "
                            "${tf_mpiexec_name} on PATH")
    endif()
    set(TF_MPIEXEC "${tf_mpiexec_found}" CACHE FILEPATH
        "mpiexec used by the MPI tests (default: the one FindMPI finds)" FORCE)
endif()
if(TF_MPIEXEC)
    set(TF_MPIEXEC_RESOLVED "${TF_MPIEXEC}")
elseif(MPIEXEC_EXECUTABLE)
    set(TF_MPIEXEC_RESOLVED "${MPIEXEC_EXECUTABLE}")
else()
    set(TF_MPIEXEC_RESOLVED "mpiexec")
endif()
if(NOT MPIEXEC_NUMPROC_FLAG)
    set(MPIEXEC_NUMPROC_FLAG "-np")
endif()

execute_process(COMMAND "${TF_MPIEXEC_RESOLVED}" --version
                OUTPUT_VARIABLE tf_mpiexec_version ERROR_VARIABLE tf_mpiexec_version
                RESULT_VARIABLE tf_mpiexec_rc TIMEOUT 30)
if(tf_mpiexec_version MATCHES "Open MPI|OpenRTE")
    set(TF_MPIEXEC_KIND openmpi)
elseif(tf_mpiexec_version MATCHES "HYDRA")
    set(TF_MPIEXEC_KIND hydra)
else()
    set(TF_MPIEXEC_KIND other)
endif()

# Open MPI refuses to run as root and to start more ranks than slots unless
# told; other MPIs reject these flags, so add them only for Open MPI.
set(TF_MPIEXEC_FLAGS "")
if(TF_MPIEXEC_KIND STREQUAL "openmpi")
    set(TF_MPIEXEC_IS_OPENMPI ON)
    set(TF_MPIEXEC_FLAGS --allow-run-as-root --oversubscribe)
else()
    set(TF_MPIEXEC_IS_OPENMPI OFF)
endif()

# Open MPI's mpirun with an MPICH program, or Hydra with an Open MPI one,
# starts N singletons: every test would pass at "N ranks" on one.
if((TF_MPI_KIND STREQUAL "openmpi" AND TF_MPIEXEC_KIND STREQUAL "hydra")
   OR (TF_MPI_KIND STREQUAL "mpich" AND TF_MPIEXEC_KIND STREQUAL "openmpi"))
    message(FATAL_ERROR "the MPI library is ${TF_MPI_KIND}'s (${MPI_C_COMPILER}) but the "
                        "launcher ${TF_MPIEXEC_RESOLVED} is ${TF_MPIEXEC_KIND}'s: set TF_MPIEXEC, "
                        "or TF_MPI=openmpi|mpich for both")
endif()
