// Error plumbing that reads like the happy path, after Abseil's status_macros.h:
//
//   SFSG_RETURN_IF_ERROR(WriteHeader(fd));                 // a Status or a Result<T>
//   SFSG_ASSIGN_OR_RETURN(Profile profile, LoadProfile(path));
//   SFSG_ASSIGN_OR_RETURN(options.seed, ParseCount(text, "--seed"));
//
// Each returns the Error from the enclosing function, whose return type must be
// constructible from an Error (Status, or any Result<T>). SFSG_ASSIGN_OR_RETURN is a
// statement, not an expression: use it only where a declaration may stand, once per line.
#pragma once

#include <utility>

#include "generator/util/status.h"

#define SFSG_RETURN_IF_ERROR(expr)                              \
  do {                                                          \
    if (auto sfsg_status_ = (expr); !sfsg_status_) /* NOLINT */ \
      return sfsg_status_.error();                              \
  } while (false)

#define SFSG_STATUS_CONCAT_INNER_(a, b) a##b
#define SFSG_STATUS_CONCAT_(a, b) SFSG_STATUS_CONCAT_INNER_(a, b)

#define SFSG_ASSIGN_OR_RETURN(lhs, expr) \
  SFSG_ASSIGN_OR_RETURN_IMPL_(SFSG_STATUS_CONCAT_(sfsg_result_, __LINE__), lhs, expr)

#define SFSG_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result) return result.error();                  \
  lhs = std::move(*result)
