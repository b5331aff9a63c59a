#===- aarch64-linux-gnu.cmake - Cross-compiling the runtime for AArch64 ---===#
#
# Debian's cross toolchain (g++-aarch64-linux-gnu) with the arm64 libraries
# installed multiarch (zlib1g-dev:arm64, ...) under /usr/lib/aarch64-linux-gnu;
# scripts/install-deps.sh sets both up.
#
#===----------------------------------------------------------------------===#
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# find_library and find_package look in <prefix>/lib/aarch64-linux-gnu, and
# only there: the host's own libraries must never be picked up.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
