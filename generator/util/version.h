// The version of sfsg, from CMake's project(VERSION) in the top-level CMakeLists.txt:
// the one place it is written. A command that prints its version links the CMake
// target sfsg_version, which defines SFSG_VERSION for it.
#pragma once

#ifndef SFSG_VERSION
#error "SFSG_VERSION is defined by the CMake target sfsg_version: link it"
#endif

namespace sfsg {

inline constexpr const char kVersion[] = SFSG_VERSION;

}  // namespace sfsg
