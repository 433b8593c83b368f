// blas_library.hpp -- the system BLAS LibTorch calls (OpenBLAS on Debian when libopenblas0-pthread is
// installed): which kernels it runs and how many threads it uses. Everything here is a no-op where the
// BLAS is not OpenBLAS. OpenBLAS picks its kernels itself when it is loaded, or takes OPENBLAS_CORETYPE
// from the environment; DataFlex never overrides that (some machines set it on purpose: older OpenBLAS
// builds compute wrong results with the kernels they would detect), it only reports it.
#pragma once

#include <string>

namespace dataflex {

// OpenBLAS keeps its own thread pool, one count for the whole process (LibTorch's OpenMP threads are
// per calling thread). n < 1 counts as 1.
void set_blas_threads(int n);

// The kernels OpenBLAS runs ("Cooperlake", "Haswell", ...), or "" where the BLAS is not OpenBLAS.
std::string blas_core_name();

}  // namespace dataflex
