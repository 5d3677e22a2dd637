#ifndef CCAGENT_CLINUX_SHIM_H
#define CCAGENT_CLINUX_SHIM_H
// glibc declarations the Swift Glibc module leaves out.
#include <malloc.h>
#endif
