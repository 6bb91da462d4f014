/* version.c - tf_version: the library's own version, for a program that
 * wants to know which library it runs against (TF_VERSION is the header's). */
#include "taskfarm.h"

const char *tf_version(void) { return TF_VERSION; }
